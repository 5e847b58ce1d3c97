/// What a front shows about the loaded model and how it runs: names, family, sizes, the KV
/// pool and the kernels. Gathered once when the engine loads; plain values, no file access.
public struct ModelFacts: Sendable, Equatable, Codable {
    /// The name to show a person (see `ModelSummary.displayName`).
    public let name: String
    /// The model file's name, which tells two models apart.
    public let fileName: String
    public let fileBytes: Int
    /// The GGUF `general.architecture`: `llama`, `qwen2`, …
    public let architecture: String
    /// Tokens of the model's training context.
    public let contextLength: Int
    public let vocabularySize: Int
    public let layerCount: Int

    public struct TypeBytes: Sendable, Equatable, Codable {
        public let type: String
        public let tensors: Int
        public let bytes: Int
    }

    /// Weight bytes by GGML type, largest first.
    public let weightsByType: [TypeBytes]
    /// Elements of every tensor, and their bytes.
    public let parameterCount: Int
    public let weightBytes: Int
    /// Bytes one decoded token streams from the weights: every matrix once, the embedding
    /// table a row.
    public let decodeBytesPerToken: Int
    public let threads: Int
    /// The kernel set the products run on (`avx512vnni`, `avx2`, `scalar`).
    public let kernels: String
    /// Whether activations are rounded to 8 bits for integer products (the default) or kept
    /// in float (`--exact`).
    public let quantizedActivations: Bool
    public let kvLayout: KVCacheLayout
    public let kvPoolBlocks: Int

    /// Tokens the whole KV pool holds.
    public var kvPoolTokens: Int { kvPoolBlocks * kvLayout.blockTokens }
}

extension ModelFacts {
    init(model: LanguageModel, options: EngineOptions) {
        let summary = try? ModelSummary(file: model.file)
        name = summary?.displayName ?? model.file.name
        fileName = model.file.name
        fileBytes = model.file.bytes.count
        architecture = model.config.architecture
        contextLength = model.config.contextLength
        vocabularySize = model.config.vocabularySize
        layerCount = model.config.layerCount
        weightsByType = summary?.bytesByType.map { TypeBytes(type: $0.type.name, tensors: $0.tensors, bytes: $0.bytes) } ?? []
        parameterCount = model.file.tensors.reduce(0) { $0 + $1.elementCount }
        weightBytes = model.file.tensorBytes
        decodeBytesPerToken = model.weights.matrixBytes
        threads = model.transformer.pool.threadCount
        kernels = KernelSet.current.name
        quantizedActivations = options.quantizedActivations
        kvLayout = model.cache.layout
        kvPoolBlocks = model.cache.pool.blockCount
    }
}
