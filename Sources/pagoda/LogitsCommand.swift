import ArgumentParser
import Foundation
import PagodaEngine

struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Logits after each given token id, for comparison with other engines.",
        discussion: """
        With --out, writes raw little-endian float32 rows [n_tokens][n_vocab]: row j holds the \
        logits after ids[0…j] (no BOS is added). Without it, prints the top K of the last row as JSON.
        """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var cacheOptions: CacheOptions

    @Option(help: "Comma-separated token ids.")
    var tokens: String

    @Option(help: "Write every row of logits to this file.")
    var out: String?

    @Option(help: "How many of the last row's best tokens to print.")
    var top = 10

    func run() throws {
        try reportingErrors {
            let ids = try tokens.split(separator: ",").map { part -> TokenID in
                guard let id = TokenID(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("'\(part)' is not a token id")
                }
                return id
            }
            guard !ids.isEmpty else { throw ValidationError("--tokens is empty") }
            let model = try LanguageModel(path: try modelOptions.resolve(), options: cacheOptions.modelOptions())
            let sequence = model.cache.createSequence()
            let vocabulary = model.config.vocabularySize
            var rows = out == nil ? nil : Data(capacity: ids.count * vocabulary * 4)
            let last = try model.transformer.evaluate(sequence, context: ids, each: rows == nil ? nil : { _, row in
                rows!.append(UnsafeBufferPointer(start: UnsafeRawPointer(row.baseAddress!).assumingMemoryBound(to: UInt8.self), count: row.count * 4))
            })
            if let out, let rows {
                try rows.write(to: URL(fileURLWithPath: out))
                return
            }
            let best = last.enumerated().sorted { $0.element > $1.element }.prefix(max(1, top))
            let items = best.map { "{\"id\":\($0.offset),\"logit\":\($0.element)}" }
            print("{\"n_tokens\":\(ids.count),\"n_vocab\":\(vocabulary),\"top\":[\(items.joined(separator: ","))]}")
        }
    }
}

/// KV cache options shared by the commands that run the model.
struct CacheOptions: ParsableArguments {
    @Option(name: .customLong("kv-mem"), help: "KV cache memory in MiB (the pool holds as many blocks as fit).")
    var kvMemory = 256

    @Option(name: [.customShort("c"), .customLong("ctx-size")], help: "Tokens the KV cache holds, as llama.cpp's -c (instead of --kv-mem).")
    var contextSize: Int?

    @Option(name: .customLong("kv-block"), help: "Tokens per KV cache block.")
    var blockTokens = 16

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f16 or f32.")
    var kvType = "f16"

    @Flag(help: "Exact float products instead of 8-bit activations with integer dot products (slower).")
    var exact = false

    @Option(name: [.customShort("t"), .long], help: "Threads (default: every core, \(ThreadPool.availableCores) here).")
    var threads: Int?

    func modelOptions() throws -> LanguageModel.Options {
        var o = LanguageModel.Options()
        guard kvMemory > 0 else { throw ValidationError("--kv-mem must be positive") }
        guard blockTokens > 0, blockTokens <= 4096 else { throw ValidationError("--kv-block must be 1…4096") }
        guard let element = KVCacheLayout.Element(rawValue: kvType) else { throw ValidationError("--kv-type must be f16 or f32") }
        o.kvBudgetBytes = kvMemory << 20
        o.blockTokens = blockTokens
        o.kvElement = element
        o.quantizedActivations = !exact
        if let contextSize {
            guard contextSize > 0, contextSize <= ModelConfig.Bounds.context else { throw ValidationError("--ctx-size must be 1…\(ModelConfig.Bounds.context)") }
            o.kvTokens = contextSize
        }
        let threads = threads ?? ThreadPool.availableCores
        guard threads > 0, threads <= 256 else { throw ValidationError("--threads must be 1…256") }
        o.threads = threads
        return o
    }
}
