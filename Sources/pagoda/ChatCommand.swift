import ArgumentParser
import Foundation
import PagodaEngine
import PagodaRemote
import PagodaTUI

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "The full-screen chat, with the KV cache drawn live beside it (the default command).",
        discussion: """
        With --remote URL the replies come from an OpenAI-compatible server instead of a local
        model: pagoda serve, llama.cpp's llama-server, vLLM, or Ollama (its /v1). --model then
        names the server's model (default: the first it lists). The stats pane shows what the
        server exposes: pagoda serve's block map, vLLM's KV usage and prefix-cache hit rate,
        llama-server's slots and metrics, Ollama's loaded models, and each reply's usage.
        """
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
        if apiKey != nil && remote == nil { throw ValidationError("--api-key is for --remote") }
        guard ContextPolicy(rawValue: contextPolicy) != nil else {
            throw ValidationError("--context-policy must be one of \(ContextPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    @Option(help: "Chat with an OpenAI-compatible server at URL (such as http://127.0.0.1:8080/v1) instead of a local model.")
    var remote: String?

    @Option(name: .customLong("api-key"), help: "The key for --remote, sent as 'Authorization: Bearer KEY'.")
    var apiKey: String?

    @Option(help: "SQLite file the conversations are saved in and reopened from ('none': not saved). Default: transcripts.sqlite in $PAGODA_HOME.")
    var transcripts: String?

    func run() throws {
        try reportingErrors {
            let backend: any ChatBackend
            if let remote {
                let (apiKey, model) = (self.apiKey, modelOptions.model)
                backend = try waitFor { try await RemoteBackend.connect(url: remote, apiKey: apiKey, model: model) }
            } else {
                var options = try cacheOptions.engineOptions()
                options.chatTemplate = chatTemplate
                backend = LocalBackend(engine: try Engine(path: try modelOptions.resolve(), options: options))
            }
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
            try ChatApp(backend: backend, systemPrompt: try systemPrompt.resolve(), settings: settings, transcripts: store).run()
        }
    }
}

/// The result of async `work`, waited for on this thread (the chat's UI loop runs on it, so
/// the command itself stays synchronous).
private func waitFor<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: Result<T, any Error>?
    Task.detached {
        do { result = .success(try await work()) } catch { result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try result!.get()
}
