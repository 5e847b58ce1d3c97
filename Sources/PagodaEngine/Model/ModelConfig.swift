/// The blueprint of a transformer, read from GGUF metadata (`{arch}.*` keys). Every value
/// the forward pass needs is here, validated once; a missing or inconsistent value is a
/// `GGUFError` naming its key.
public struct ModelConfig: Equatable, Sendable {
    /// Architectures whose forward pass Pagoda implements (the family registry's).
    public static var supportedArchitectures: [String] { ModelFamilies.architectures }

    public let architecture: String
    public let layerCount: Int          // {arch}.block_count
    public let embeddingLength: Int     // {arch}.embedding_length, d_model
    public let feedForwardLength: Int   // {arch}.feed_forward_length
    public let headCount: Int           // {arch}.attention.head_count
    public let kvHeadCount: Int         // {arch}.attention.head_count_kv (GQA when < headCount)
    public let headDimension: Int       // {arch}.attention.key_length, else d_model / heads
    public let ropeBase: Float          // {arch}.rope.freq_base
    public let ropeDimensionCount: Int  // {arch}.rope.dimension_count, else headDimension
    public let ropeScaling: RopeScaling
    public let rmsNormEpsilon: Float    // {arch}.attention.layer_norm_rms_epsilon
    public let contextLength: Int       // {arch}.context_length (training context)
    public let vocabularySize: Int      // {arch}.vocab_size, else tokenizer.ggml.tokens count
    /// What the architecture's family does differently (plain llama for unknown ones).
    public let family: FamilyTraits

    /// The largest value each count may take. A file's metadata is untrusted and these
    /// numbers size allocations and products, so each is bounded before it is used (the
    /// bounds sit well above any published model: 256 layers, 32k d_model, 256k vocabulary,
    /// 10M context), and every product of them fits in 64 bits.
    public enum Bounds {
        public static let layers = 1024
        public static let embedding = 1 << 17
        public static let feedForward = 1 << 20
        public static let heads = 1024
        public static let headDimension = 4096
        public static let context = 1 << 26
        public static let vocabulary = 1 << 24
    }

    /// How positions are rescaled before RoPE.
    public enum RopeScaling: Equatable, Sendable {
        case none
        /// Positions divided by `factor` (`{arch}.rope.scaling.type = linear`).
        case linear(factor: Float)
    }

    /// Reads and checks the configuration. Throws if the architecture is not supported.
    public init(metadata: GGUFMetadata) throws {
        let arch = try metadata.string("general.architecture")
        guard Self.supportedArchitectures.contains(arch) else {
            throw GGUFError(file: metadata.source, field: "metadata 'general.architecture'",
                            problem: "architecture '\(arch)' is not supported (supported: \(Self.supportedArchitectures.joined(separator: ", ")))")
        }
        try self.init(metadata: metadata, architecture: arch)
    }

    /// Reads the hyperparameters under `architecture`'s prefix without checking that Pagoda
    /// can run it (for `pagoda info` on any llama-like file).
    public init(metadata m: GGUFMetadata, architecture arch: String) throws {
        func key(_ suffix: String) -> String { "\(arch).\(suffix)" }
        func invalid(_ suffix: String, _ text: String) -> GGUFError {
            GGUFError(file: m.source, field: "metadata '\(key(suffix))'", problem: text)
        }
        architecture = arch
        layerCount = try m.int(key("block_count"))
        embeddingLength = try m.int(key("embedding_length"))
        feedForwardLength = try m.uniformInt(key("feed_forward_length"))
        headCount = try m.uniformInt(key("attention.head_count"))
        kvHeadCount = m.contains(key("attention.head_count_kv")) ? try m.uniformInt(key("attention.head_count_kv")) : headCount
        func bounded(_ suffix: String, _ value: Int, _ limit: Int) throws {
            guard value > 0 else { throw invalid(suffix, "must be positive, is \(value)") }
            guard value <= limit else { throw invalid(suffix, "is \(value), more than the \(limit) Pagoda accepts") }
        }
        try bounded("block_count", layerCount, Bounds.layers)
        try bounded("embedding_length", embeddingLength, Bounds.embedding)
        try bounded("feed_forward_length", feedForwardLength, Bounds.feedForward)
        try bounded("attention.head_count", headCount, Bounds.heads)
        try bounded("attention.head_count_kv", kvHeadCount, Bounds.heads)
        guard kvHeadCount > 0, headCount % kvHeadCount == 0 else {
            throw invalid("attention.head_count_kv", "\(kvHeadCount) does not divide the \(headCount) query heads")
        }
        if m.contains(key("attention.key_length")) {
            headDimension = try m.int(key("attention.key_length"))
        } else {
            guard embeddingLength % headCount == 0 else {
                throw invalid("attention.head_count", "\(headCount) heads do not divide embedding_length \(embeddingLength)")
            }
            headDimension = embeddingLength / headCount
        }
        guard headDimension > 0, headDimension % 2 == 0, headDimension <= Bounds.headDimension else {
            throw invalid("attention.key_length", "head dimension \(headDimension) must be positive, even and at most \(Bounds.headDimension)")
        }
        if m.contains(key("attention.value_length")) {
            let valueLength = try m.int(key("attention.value_length"))
            guard valueLength == headDimension else {
                throw invalid("attention.value_length", "\(valueLength) differs from the key length \(headDimension), which is not supported")
            }
        }
        ropeBase = try m.float(key("rope.freq_base"), default: 10_000)
        ropeDimensionCount = try m.int(key("rope.dimension_count"), default: headDimension)
        guard ropeBase > 0, ropeBase.isFinite else { throw invalid("rope.freq_base", "must be positive and finite, is \(ropeBase)") }
        guard ropeDimensionCount > 0, ropeDimensionCount <= headDimension, ropeDimensionCount % 2 == 0 else {
            throw invalid("rope.dimension_count", "\(ropeDimensionCount) must be even and at most the head dimension \(headDimension)")
        }
        switch try m.string(key("rope.scaling.type"), default: nil) {
        case nil, "none":
            ropeScaling = .none
        case "linear":
            let factor = try m.float(key("rope.scaling.factor"), default: 1)
            guard factor > 0 else { throw invalid("rope.scaling.factor", "must be positive, is \(factor)") }
            ropeScaling = factor == 1 ? .none : .linear(factor: factor)
        case let other?:
            throw invalid("rope.scaling.type", "'\(other)' is not supported (supported: none, linear)")
        }
        rmsNormEpsilon = try m.float(key("attention.layer_norm_rms_epsilon"), default: 1e-5)
        guard rmsNormEpsilon >= 0, rmsNormEpsilon < 1 else {
            throw invalid("attention.layer_norm_rms_epsilon", "must be in [0, 1), is \(rmsNormEpsilon)")
        }
        contextLength = try m.int(key("context_length"))
        try bounded("context_length", contextLength, Bounds.context)
        if m.contains(key("vocab_size")) {
            vocabularySize = try m.int(key("vocab_size"))
        } else if case .array(_, let tokens)? = m["tokenizer.ggml.tokens"] {
            vocabularySize = tokens.count
        } else {
            throw GGUFError(file: m.source, field: "metadata 'tokenizer.ggml.tokens'", problem: "missing, and \(key("vocab_size")) is not set either")
        }
        try bounded("vocab_size", vocabularySize, Bounds.vocabulary)
        let keyOf: (String) -> String = { "\(arch).\($0)" }
        var traits = try ModelFamilies.family(for: arch)?.traits(m, key: keyOf) ?? FamilyTraits()
        if let window = traits.slidingWindow { try bounded("attention.sliding_window", window, Bounds.context) }
        guard traits.slidingWindowPattern >= 0 else {
            throw invalid("attention.sliding_window_pattern", "must not be negative, is \(traits.slidingWindowPattern)")
        }
        if let base = traits.slidingRopeBase, !(base > 0 && base.isFinite) {
            throw invalid("rope.freq_base_swa", "must be positive and finite, is \(base)")
        }
        if let window = traits.slidingWindow, window >= contextLength { traits.slidingWindow = nil }  // a window past the context is none
        family = traits
    }

    /// Query heads per KV head (1 without grouped-query attention).
    public var groupSize: Int { headCount / kvHeadCount }

    /// Elements of K plus V stored per token across all layers.
    public var kvElementsPerToken: Int { 2 * layerCount * kvHeadCount * headDimension }
}
