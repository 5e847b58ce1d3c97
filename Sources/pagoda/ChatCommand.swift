import ArgumentParser
import Foundation
import PagodaEngine
import PagodaTUI

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "The full-screen chat, with the KV cache drawn live beside it (the default command)."
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var cacheOptions: CacheOptions
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var systemPrompt: SystemPromptOptions

    @Option(name: [.customShort("n"), .customLong("n-predict")], help: "Most tokens per reply.")
    var maxTokens = Engine.defaultMaxTokens

    @Option(name: .customLong("chat-template"), help: "'chatml' or a Jinja file, instead of the model's template.")
    var chatTemplate: String?

    @Option(name: .customLong("context-policy"), help: "When a conversation outgrows the context or the KV pool: stop, drop-oldest (turns; never the system prompt) or truncate-middle (keeps the first turn).")
    var contextPolicy = "drop-oldest"

    func validate() throws {
        guard ContextPolicy(rawValue: contextPolicy) != nil else {
            throw ValidationError("--context-policy must be one of \(ContextPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    @Option(help: "SQLite file the conversations are saved in and reopened from ('none': not saved). Default: transcripts.sqlite in $PAGODA_HOME.")
    var transcripts: String?

    func run() throws {
        try reportingErrors {
            let path = try modelOptions.resolve()
            var options = try cacheOptions.engineOptions()
            options.chatTemplate = chatTemplate
            let engine = try Engine(path: path, options: options)
            var settings = ChatSettings()
            settings.sampling = sampling.parameters
            settings.maxTokens = maxTokens
            settings.contextPolicy = ContextPolicy(rawValue: contextPolicy) ?? .dropOldest
            let store: TranscriptStore?
            switch transcripts {
            case "none": store = nil
            case let path?: store = try TranscriptStore(url: URL(fileURLWithPath: path))
            case nil: store = try TranscriptStore(url: ModelStore.fromEnvironment().home.appendingPathComponent("transcripts.sqlite"))
            }
            try ChatApp(engine: engine, systemPrompt: try systemPrompt.resolve(), settings: settings, transcripts: store).run()
        }
    }
}
