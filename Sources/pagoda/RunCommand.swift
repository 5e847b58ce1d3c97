import ArgumentParser
import Foundation
import PagodaEngine

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Generate a reply without the TUI: text to stdout, stats to stderr."
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var cacheOptions: CacheOptions
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var systemPrompt: SystemPromptOptions

    @Option(help: "The prompt.")
    var prompt: String

    @Option(name: [.customShort("n"), .customLong("n-predict")], help: "Most tokens to generate.")
    var maxTokens = 256

    @Flag(help: "Wrap the prompt in the model's chat format (the default).")
    var chat = false

    @Flag(help: "Feed the prompt as is, with no chat format.")
    var raw = false

    @Option(name: .customLong("stop"), help: "Stop when this text appears (may repeat).")
    var stopStrings: [String] = []

    @Option(name: .customLong("stats-json"), help: "Write the generation's stats to this file as JSON.")
    var statsJSON: String?

    @Option(name: .customLong("chat-template"), help: "'chatml' or a Jinja file, instead of the model's template.")
    var chatTemplate: String?

    func validate() throws {
        if chat && raw { throw ValidationError("give --chat or --raw, not both") }
        guard maxTokens > 0 else { throw ValidationError("-n must be positive") }
    }

    func run() async throws {
        let engine = try modelOptions.loadEngine(cacheOptions, chatTemplate: chatTemplate)
        let input: Engine.Request.Input
        if raw {
            input = .text(prompt)
        } else {
            var messages: [ChatMessage] = []
            if let system = try reportingErrors({ try systemPrompt.resolve() }) { messages.append(ChatMessage(.system, system)) }
            messages.append(ChatMessage(.user, prompt))
            input = .messages(messages)
        }
        var request = Engine.Request(sequence: engine.createConversation(), input: input)
        request.sampling = sampling.parameters
        request.maxTokens = maxTokens
        request.stopStrings = stopStrings

        var failure: String?
        for await event in engine.generate(request) {
            switch event {
            case .prompt(let report):
                if let warning = report.warning { Terminal.printError("pagoda: \(warning)") }
            case .promptProgress, .preempted, .decoded: break  // one conversation: nothing to preempt
            case .text(let text):
                FileHandle.standardOutput.write(Data(text.utf8))
            case .finished(let reason, let stats):
                print("")
                if case .failed(let message) = reason { failure = message + (message.hasPrefix("KV cache is full") ? " (raise --kv-mem or -c)" : "") }
                Terminal.printError(String(
                    format: "[%@] prompt %d tokens (%d reused) in %.2f s, %.1f t/s; generated %d tokens, %.1f t/s; first token after %.2f s; KV %d/%d blocks",
                    reason.description, stats.promptTokens, stats.reusedPromptTokens, stats.prefillSeconds, stats.prefillTokensPerSecond,
                    stats.generatedTokens, stats.decodeTokensPerSecond, stats.timeToFirstTokenSeconds, stats.kvBlocksInUse, stats.kvBlocksTotal))
                if let statsJSON {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    try reportingErrors { try encoder.encode(stats).write(to: URL(fileURLWithPath: statsJSON)) }
                }
            }
        }
        if let failure {
            Terminal.printError("pagoda: \(failure)")
            throw ExitCode.failure
        }
    }
}
