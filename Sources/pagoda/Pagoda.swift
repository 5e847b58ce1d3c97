import ArgumentParser
import PagodaEngine

@main
struct Pagoda: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pagoda",
        abstract: "Run and understand a language model in a terminal.",
        subcommands: [ChatCommand.self, ServeCommand.self, InfoCommand.self, PullCommand.self, LogitsCommand.self, TokenizeCommand.self, RunCommand.self, TemplateCommand.self, BenchCommand.self, QuantizeCommand.self, PerplexityCommand.self, CompareCommand.self],
        defaultSubcommand: ChatCommand.self
    )
}
