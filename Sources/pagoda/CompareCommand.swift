import ArgumentParser
import Foundation
import PagodaEngine

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Quantizations side by side in one table: size, memory, perplexity, KL divergence from a base, speed.",
        discussion: """
        Each model runs the same perplexity chunks of --file (KL divergence and top-token agreement against \
        --base, usually the F32 copy from `pagoda quantize IN REF.gguf --type F32`), then a llama-bench style \
        pp/tg run. Markdown by default, --json for scripts.
        """
    )

    @Argument(help: "The models to compare (GGUF paths or known model names).")
    var models: [String]

    @Option(help: "The reference model the others are measured against.")
    var base: String

    @Option(name: [.short, .long], help: "A plain text file (not the calibration text of an AWQ or GPTQ model).")
    var file: String

    @Option(name: .customLong("ctx"), help: "Tokens per perplexity chunk.")
    var contextTokens = 512

    @Option(help: "Perplexity chunks per model.")
    var chunks = 10

    @Option(name: [.customShort("p"), .long], help: "Prompt tokens of the speed run.")
    var promptTokens = 128

    @Option(name: [.customShort("n"), .long], help: "Generated tokens of the speed run.")
    var generateTokens = 32

    @Flag(help: "Print the rows as JSON instead of a table.")
    var json = false

    @Option(name: [.customShort("t"), .long], help: "Threads (default: every core).")
    var threads: Int?

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("name at least one model to compare with --base") }
        guard contextTokens >= 4, chunks >= 1, promptTokens >= 1, generateTokens >= 1 else { throw ValidationError("--ctx, --chunks, -p and -n must be positive") }
    }

    func run() throws {
        try reportingErrors {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read --file \(file)") }
            let text = String(decoding: data, as: UTF8.self)
            Interruption.install()
            var baseFile: KLBaseFile?
            var rows: [ComparisonRow] = []
            for (index, name) in ([base] + models).enumerated() {
                if Interruption.requested { throw ExitCode(130) }
                let isBase = index == 0
                let path = try ModelOptions(model: name).resolve()
                Terminal.printError("[\(index + 1)/\(models.count + 1)] \(path)" + (isBase ? " (base)" : ""))
                let row = try measure(path: path, text: text, isBase: isBase, base: &baseFile)
                rows.append(row)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            } else {
                print(ComparisonTable.markdown(rows, promptTokens: promptTokens, generateTokens: generateTokens))
                print("\nPPL and KL over \(rows.first.map { _ in chunks }!) chunks of \(contextTokens) tokens of \((file as NSString).lastPathComponent); "
                      + "KL(base ‖ model) per token; same top: share of tokens where both pick the same most likely token.")
            }
        }
    }

    /// One model: perplexity (saving or checking against the base's distributions), its
    /// memory, then speed. The model is unloaded on return.
    private func measure(path: String, text: String, isBase: Bool, base: inout KLBaseFile?) throws -> ComparisonRow {
        var options = EngineOptions()
        options.kvTokens = max(contextTokens, promptTokens + generateTokens) + 64
        options.threads = threads ?? ThreadPool.availableCores
        let engine = try Engine(path: path, options: options)
        let run = try PerplexityRun(engine: engine, text: text, contextTokens: contextTokens, maxChunks: chunks)
        var saving = isBase ? KLBaseFile(header: run.header) : nil
        var divergence = try base.flatMap { isBase ? nil : try run.divergence(from: $0) }
        let result: PerplexityScorer.Result
        do {
            result = try run.run(saving: &saving, divergence: &divergence, isCancelled: { Interruption.requested }, chunkDone: { r in
                if Terminal.stderrIsTerminal {
                    FileHandle.standardError.write(Data(String(format: "\r\u{1B}[K  chunk %d/%d · PPL %.4f", r.chunks, run.chunkCount, r.perplexity).utf8))
                }
            })
        } catch is CancellationError {
            throw ExitCode(130)
        }
        if Terminal.stderrIsTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if isBase { base = saving }
        let resident = ProcessMemory.residentBytes()
        let speed = try Benchmark(engine: engine).run(promptTokens: promptTokens, generateTokens: generateTokens, repetitions: 3)
        var row = ComparisonRow(name: (path as NSString).lastPathComponent, facts: engine.facts)
        row.isBase = isBase
        row.residentMebibytes = resident.map { Double($0) / 1_048_576 }
        row.perplexity = result.perplexity
        row.perplexityError = result.perplexityError
        row.kl = divergence?.summary
        row.promptTokensPerSecond = speed.pp.median
        row.generateTokensPerSecond = speed.tg.median
        Terminal.printError(String(format: "  PPL %.4f", result.perplexity) + (row.kl.map { String(format: ", mean KL %.4f, same top %.1f%%", $0.mean, 100 * $0.topAgreement) } ?? "")
                            + String(format: ", pp %.1f t/s, tg %.1f t/s", row.promptTokensPerSecond, row.generateTokensPerSecond))
        return row
    }
}
