import ArgumentParser
import PagodaEngine

/// KV cache options shared by the commands that run the model.
struct CacheOptions: ParsableArguments {
    @Option(name: .customLong("kv-mem"), help: "KV cache memory in MiB (the pool holds as many blocks as fit).")
    var kvMemory = EngineOptions.defaultKVBudgetBytes >> 20

    @Option(name: [.customShort("c"), .customLong("ctx-size")], help: "Tokens the KV cache holds, as llama.cpp's -c (instead of --kv-mem).")
    var contextSize: Int?

    @Option(name: .customLong("kv-block"), help: "Tokens per KV cache block.")
    var blockTokens = EngineOptions.defaultBlockTokens

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f16 or f32.")
    var kvType = "f16"

    @Flag(help: "Exact float products instead of 8-bit activations with integer dot products (slower).")
    var exact = false

    @Option(name: [.customShort("t"), .long], help: "Threads (default: every core, \(ThreadPool.availableCores) here).")
    var threads: Int?

    /// The engine's options from these flags, validated once here.
    func engineOptions() throws -> EngineOptions {
        var o = EngineOptions()
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
