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
        var options = LanguageModel.Options()
        options.kvTokens = max(contextTokens, promptTokens + generateTokens) + 64
        options.threads = threads ?? ThreadPool.availableCores
        let model = try LanguageModel(path: path, options: options)
        let tokenizer = try Tokenizer(metadata: model.file.metadata)
        let tokens = tokenizer.encode(text, addSpecial: true)
        let scorer = PerplexityScorer(contextTokens: contextTokens, maxChunks: chunks, bos: tokenizer.vocabulary.addBOS ? tokenizer.vocabulary.bos : nil)
        let chunkCount = scorer.chunkCount(tokens: tokens.count)
        let header = KLBaseFile.Header(vocabulary: model.config.vocabularySize, context: contextTokens, chunks: chunkCount, topK: 64,
                                       tokens: chunkCount * (contextTokens - contextTokens / 2 - 1),
                                       tokenHash: KLBaseFile.hash(Array(tokens.prefix(chunkCount * contextTokens))))
        var saving = isBase ? KLBaseFile(header: header) : nil
        var divergence: KLDivergence?
        if !isBase, let base {
            guard base.header == header else {
                throw PerplexityError.baseMismatch("\((path as NSString).lastPathComponent) tokenizes the text differently from the base (another vocabulary or tokenizer)")
            }
            divergence = KLDivergence(base: base)
        }
        let result = try scorer.score(tokens, evaluate: { chunk, each in
            if Interruption.requested { throw ExitCode(130) }
            let sequence = model.cache.createSequence()
            defer { model.cache.release(sequence) }
            try withoutActuallyEscaping(each) { each in _ = try model.transformer.evaluate(sequence, context: chunk, each: each) }
        }, observe: { token in
            saving?.append(logits: token.logits, negativeLogLikelihood: token.negativeLogLikelihood)
            divergence?.add(index: token.index, logits: token.logits, negativeLogLikelihood: token.negativeLogLikelihood)
        }, chunkDone: { r in
            if Terminal.stderrIsTerminal {
                FileHandle.standardError.write(Data(String(format: "\r\u{1B}[K  chunk %d/%d · PPL %.4f", r.chunks, chunkCount, r.perplexity).utf8))
            }
        })
        if Terminal.stderrIsTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if isBase { base = saving }
        let resident = ProcessMemory.residentBytes()
        let speed = try Benchmark(model: model).run(promptTokens: promptTokens, generateTokens: generateTokens, repetitions: 3)
        var row = ComparisonRow(name: (path as NSString).lastPathComponent, file: model.file, summary: try ModelSummary(file: model.file))
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
