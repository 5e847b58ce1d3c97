/// A GGUF model loaded for inference: the mapped file, its configuration and weight views,
/// and a KV cache sized from a memory budget. Internal to the engine: fronts reach it
/// through `Engine`.
final class LanguageModel: @unchecked Sendable {
    let file: GGUFFile
    let config: ModelConfig
    let weights: ModelWeights
    let cache: KVCacheManager
    let transformer: Transformer

    typealias Options = EngineOptions

    convenience init(path: String, options: Options = Options()) throws {
        try self.init(file: GGUFFile(path: path), options: options)
    }

    init(file: GGUFFile, options: Options = Options()) throws {
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
