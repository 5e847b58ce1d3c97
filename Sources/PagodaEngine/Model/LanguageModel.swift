/// A GGUF model loaded for inference: the mapped file, its configuration and weight views,
/// and a KV cache sized from a memory budget.
public final class LanguageModel: @unchecked Sendable {
    public let file: GGUFFile
    public let config: ModelConfig
    public let weights: ModelWeights
    public let cache: KVCacheManager
    public let transformer: Transformer

    public struct Options: Sendable {
        /// Bytes of KV cache memory (the pool is as many whole blocks as fit).
        public var kvBudgetBytes = 256 << 20
        /// Tokens the KV pool must hold, as llama.cpp's `--ctx-size`; when set, the pool is
        /// sized from it (rounded up to whole blocks) and `kvBudgetBytes` is ignored.
        public var kvTokens: Int?
        public var blockTokens = 16
        public var kvElement = KVCacheLayout.Element.f16
        public var maxChunk = 64
        /// Threads for the matrix products (default: every core).
        public var threads = ThreadPool.availableCores
        /// Quantize activations to 8 bits for integer dot products (fast, llama.cpp's
        /// numerics). Off: exact float products on dequantized weights (slow).
        public var quantizedActivations = true
        public init() {}
    }

    public convenience init(path: String, options: Options = Options()) throws {
        try self.init(file: GGUFFile(path: path), options: options)
    }

    public init(file: GGUFFile, options: Options = Options()) throws {
        self.file = file
        config = try ModelConfig(metadata: file.metadata)
        try ModelValidation.check(config, against: file)
        weights = try ModelWeights(file: file, config: config)
        let layout = KVCacheLayout(config: config, blockTokens: options.blockTokens, element: options.kvElement)
        let budget = options.kvTokens.map { tokens in
            (tokens + layout.blockTokens - 1) / layout.blockTokens * layout.bytesPerBlock
        } ?? options.kvBudgetBytes
        cache = KVCacheManager(pool: BlockPool(layout: layout, budgetBytes: budget))
        transformer = Transformer(config: config, weights: weights, cache: cache, maxChunk: options.maxChunk, threads: options.threads)
        transformer.quantizedActivations = options.quantizedActivations
    }
}
