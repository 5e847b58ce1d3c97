import PagodaEngine

/// What a remote server says of itself, for the stats pane: which kind of server it is,
/// where the figures come from, and the figures. A field the server does not expose is nil.
public struct ServerReport: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable {
        case pagoda = "pagoda serve"
        case vllm = "vLLM"
        case llamaServer = "llama-server"
        case ollama = "Ollama"
        case openAI = "OpenAI-compatible server"
    }

    /// A llama-server slot: one sequence of its KV cache.
    public struct Slot: Equatable, Sendable {
        public var id: Int
        public var contextTokens: Int
        public var processing: Bool
        /// Tokens decoded by the slot's current (or last) task.
        public var decoded: Int?

        public init(id: Int, contextTokens: Int, processing: Bool, decoded: Int?) {
            self.id = id
            self.contextTokens = contextTokens
            self.processing = processing
            self.decoded = decoded
        }
    }

    /// A model an Ollama server holds in memory.
    public struct LoadedModel: Equatable, Sendable {
        public var name: String
        public var bytes: Int
        public var videoBytes: Int
        public var contextTokens: Int?

        public init(name: String, bytes: Int, videoBytes: Int, contextTokens: Int?) {
            self.name = name
            self.bytes = bytes
            self.videoBytes = videoBytes
            self.contextTokens = contextTokens
        }
    }

    public var kind: Kind
    /// Where it listens, as the user gave it (scheme, host, port).
    public var address: String
    /// Where the figures come from, said plainly ("/metrics", "each response's usage").
    public var source: String
    /// Used over all KV blocks (0…1).
    public var kvUsage: Double?
    public var kvBlocks: Int?
    public var blockTokens: Int?
    /// Prefix-cache lookups and hits since the server started, in tokens.
    public var prefixQueries: Double?
    public var prefixHits: Double?
    /// Hits over lookups: computed from the two counts, or as the server reports it.
    public var prefixHitRate: Double?
    public var running: Int?
    public var waiting: Int?
    public var preemptions: Int?
    public var promptTokens: Double?
    public var generatedTokens: Double?
    public var slots: [Slot] = []
    public var loaded: [LoadedModel] = []
    /// The server's sequence holding this chat's reply while it streams, where the server
    /// says which request holds which sequence (`pagoda serve`); its blocks are drawn as the
    /// chat's in the block map.
    public var replySequence: SequenceID?
    /// Why the last reading failed, if it did (the figures are then the previous ones).
    public var problem: String?

    public init(kind: Kind, address: String, source: String) {
        self.kind = kind
        self.address = address
        self.source = source
    }
}
