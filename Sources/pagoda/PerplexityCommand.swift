import ArgumentParser
import Foundation
import PagodaEngine

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a model on a text, as llama-perplexity measures it, and KL divergence from a base model.",
        discussion: """
        The text is cut into chunks of --ctx tokens; the second half of each is scored. --kl-base FILE saves the \
        model's distributions (top 64 per token) for a later run with --kl-against FILE, which prints the KL \
        divergence from them, top-token agreement and the perplexity ratio.
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: [.short, .long], help: "A plain text file.")
    var file: String

    @Option(name: .customLong("ctx"), help: "Tokens per chunk (llama-perplexity's -c).")
    var contextTokens = 512

    @Option(help: "At most this many chunks (default: all of the text).")
    var chunks: Int?

    @Option(name: .customLong("kl-base"), help: "Save this model's distributions here, as a base for --kl-against.")
    var klBase: String?

    @Option(name: .customLong("kl-against"), help: "Measure KL divergence from the base saved in this file.")
    var klAgainst: String?

    @Flag(help: "Print the result as JSON to stdout.")
    var json = false

    @Flag(help: "Exact float products instead of 8-bit activations.")
    var exact = false

    @Option(name: [.customShort("t"), .long], help: "Threads (default: every core).")
    var threads: Int?

    func validate() throws {
        guard contextTokens >= 4, contextTokens <= 32768 else { throw ValidationError("--ctx must be 4…32768") }
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be at least 1") }
        if klBase != nil, klAgainst != nil { throw ValidationError("give --kl-base or --kl-against, not both") }
    }

    func run() throws {
        try reportingErrors {
            let path = try modelOptions.resolve()
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read --file \(file)") }
            let text = String(decoding: data, as: UTF8.self)
            var options = EngineOptions()
            options.kvTokens = contextTokens + 64
            options.quantizedActivations = !exact
            options.threads = threads ?? ThreadPool.availableCores
            let engine = try Engine(path: path, options: options)
            let run = try PerplexityRun(engine: engine, text: text, contextTokens: contextTokens, maxChunks: chunks)
            let chunkCount = run.chunkCount
            let scored = run.header.tokens
            var base = klBase.map { _ in KLBaseFile(header: run.header) }
            var divergence = try klAgainst.map { try run.divergence(from: KLBaseFile(path: $0)) }
            Interruption.install()
            Terminal.printError("perplexity of \(engine.facts.fileName) on \(file): \(run.tokens.count) tokens, \(chunkCount) chunks of \(contextTokens)")
            let start = DispatchTime.now()
            var running: [String] = []
            let result: PerplexityScorer.Result
            do {
                result = try run.run(saving: &base, divergence: &divergence, isCancelled: { Interruption.requested }, chunkDone: { r in
                    running.append(String(format: "[%d]%.4f", r.chunks, r.perplexity))
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                    let left = seconds / Double(r.chunks) * Double(chunkCount - r.chunks)
                    if Terminal.stderrIsTerminal {
                        FileHandle.standardError.write(Data(String(format: "\r\u{1B}[Kchunk %d/%d · PPL %.4f · %.0f s left", r.chunks, chunkCount, r.perplexity, left).utf8))
                    }
                })
            } catch is CancellationError {
                throw ExitCode(130)
            }
            if Terminal.stderrIsTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            Terminal.printError(running.joined(separator: ","))
            if let base, let klBase {
                try base.write(to: klBase)
                Terminal.printError("saved the base distributions of \(scored) tokens to \(klBase)")
            }
            let summary = divergence?.summary
            if json {
                struct Output: Encodable {
                    let model: String, file: String, context: Int, chunks: Int, tokens: Int
                    let perplexity: Double, perplexityError: Double, seconds: Double, tokensPerSecond: Double
                    let kl: KLDivergence.Summary?
                }
                let out = Output(model: engine.facts.fileName, file: file, context: contextTokens, chunks: result.chunks, tokens: result.scoredTokens,
                                 perplexity: result.perplexity, perplexityError: result.perplexityError, seconds: seconds,
                                 tokensPerSecond: Double(result.chunks * contextTokens) / seconds, kl: summary)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(out), as: UTF8.self))
                return
            }
            print(String(format: "PPL = %.4f ± %.5f (%d tokens scored in %d chunks of %d, %.1f s, %.0f tokens/s)", result.perplexity, result.perplexityError,
                         result.scoredTokens, result.chunks, contextTokens, seconds, Double(result.chunks * contextTokens) / seconds))
            if let s = summary {
                print(String(format: "KL divergence from the base: mean %.6f ± %.6f, median %.6f, 99%% %.6f, max %.6f", s.mean, s.meanError, s.median, s.p99, s.maximum))
                print(String(format: "same top token: %.2f%% · PPL ratio %.4f (base PPL %.4f)", 100 * s.topAgreement, s.perplexityRatio, s.basePerplexity))
            }
        }
    }
}
