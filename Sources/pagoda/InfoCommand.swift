import ArgumentParser
import PagodaEngine

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print a model's metadata, tensors by type, and KV cache bytes per block."
    )

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        try reportingErrors {
            let path = try modelOptions.resolve()
            let file = try GGUFFile(path: path)
            let summary = try ModelSummary(file: file)
            print(summary.render().joined(separator: "\n"))
        }
    }
}
