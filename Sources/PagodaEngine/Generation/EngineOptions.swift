/// How an `Engine` loads its model: the KV pool's size and layout, the chunk of a forward
/// pass, threads, and the activation precision. Every default lives here.
public struct EngineOptions: Sendable, Equatable {
    /// Tokens per KV block when none is asked for (vLLM's default too).
    public static let defaultBlockTokens = 16
    /// Bytes of KV cache when neither a budget nor a token count is asked for.
    public static let defaultKVBudgetBytes = 256 << 20

    /// Bytes of KV cache memory (the pool is as many whole blocks as fit).
    public var kvBudgetBytes = EngineOptions.defaultKVBudgetBytes
    /// Tokens the KV pool must hold, as llama.cpp's `--ctx-size`; when set, the pool is
    /// sized from it (rounded up to whole blocks) and `kvBudgetBytes` is ignored.
    public var kvTokens: Int?
    public var blockTokens = EngineOptions.defaultBlockTokens
    public var kvElement = KVCacheLayout.Element.f16
    /// Most tokens one forward pass takes; longer prompts go in chunks of this many.
    public var maxChunk = 64
    /// Threads for the matrix products and attention (default: every core). The engine owns
    /// a pool of this many.
    public var threads = ThreadPool.availableCores
    /// Quantize activations to 8 bits for integer dot products (fast, llama.cpp's
    /// numerics). Off: exact float products on dequantized weights (slow).
    public var quantizedActivations = true
    /// `chatml` or a Jinja file's path: the chat template instead of the model's own.
    public var chatTemplate: String?

    public init() {}
}
