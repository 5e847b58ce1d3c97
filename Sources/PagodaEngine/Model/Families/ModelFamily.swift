/// One transformer family Pagoda runs: the GGUF architecture names it answers to and what
/// its forward pass does differently from the plain llama block. Each family is one small
/// file; `ModelFamilies` is the registry the loader asks.
protocol ModelFamily {
    /// `general.architecture` values of this family.
    static var architectures: [String] { get }
    /// The family's traits for one file (some depend on its metadata, as a sliding window).
    /// `key(suffix)` is the full metadata key under the file's architecture prefix.
    static func traits(_ metadata: GGUFMetadata, key: (String) -> String) throws -> FamilyTraits
}

/// What differs between families, as the forward pass asks it. The plain llama block is
/// the default: RMSNorm before attention and feed-forward, RoPE on adjacent pairs, SwiGLU,
/// optional q/k/v biases, full causal attention.
public struct FamilyTraits: Equatable, Sendable {
    /// How RoPE pairs a head's dimensions.
    public enum RopePairing: Sendable { case adjacent, halves }
    public enum Activation: Sendable {
        /// `silu(gate) ⊙ up` (llama, qwen).
        case silu
        /// `gelu(gate) ⊙ up` with GELU's tanh approximation (gemma).
        case geluTanh
    }

    public var ropePairing = RopePairing.adjacent
    /// RMSNorm of each query and key head (`attn_q_norm`, `attn_k_norm`, head-sized weights)
    /// before RoPE.
    public var queryKeyNorm = false
    /// RMSNorm of the attention and feed-forward outputs before they join the residual
    /// stream (`post_attention_norm`, `post_ffw_norm`).
    public var postNorms = false
    public var activation = Activation.silu
    /// The token embeddings are multiplied by this (gemma: √d_model).
    public var embeddingScale: Float?
    /// Tokens a sliding-window layer attends to, itself included; nil: every layer sees
    /// the whole context.
    public var slidingWindow: Int?
    /// With a window: every `slidingWindowPattern`-th layer (index n·p − 1) attends to the
    /// whole context and the others slide; 0 or 1: every layer slides.
    public var slidingWindowPattern = 0
    /// RoPE base of the sliding layers, when it differs from the model's.
    public var slidingRopeBase: Float?

    public init() {}

    /// The window of `layer`, or nil when it sees the whole context.
    public func window(layer: Int) -> Int? {
        guard let slidingWindow else { return nil }
        if slidingWindowPattern > 1 && layer % slidingWindowPattern == slidingWindowPattern - 1 { return nil }
        return slidingWindow
    }

    /// Whether the layers are the plain llama block the float calibration forward (AWQ,
    /// GPTQ) implements: everything but RoPE's pairing and biases at their defaults.
    var isPlainBlock: Bool {
        !queryKeyNorm && !postNorms && activation == .silu && embeddingScale == nil && slidingWindow == nil
    }
}

/// The registry of families, asked by `ModelConfig` for a file's architecture.
enum ModelFamilies {
    static var all: [ModelFamily.Type] { [LlamaFamily.self, Qwen2Family.self, Qwen3Family.self, Gemma3Family.self] }

    /// Every architecture name Pagoda runs, in registry order.
    static var architectures: [String] { all.flatMap { $0.architectures } }

    static func family(for architecture: String) -> ModelFamily.Type? {
        all.first { $0.architectures.contains(architecture) }
    }
}
