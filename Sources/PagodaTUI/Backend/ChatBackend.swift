import PagodaEngine

/// What the chat needs from whatever writes its replies: the embedded engine
/// (`LocalBackend`), or an OpenAI-compatible server over HTTP (`pagoda chat --remote`). The
/// session calls it from the UI thread; its streams deliver on any thread.
public protocol ChatBackend: AnyObject, Sendable {
    /// What the stats pane says about the model, known once the backend is made.
    var model: ModelInfo { get }

    /// Lines for the first screen: which server the replies come from. Often empty.
    var startNotices: [String] { get }

    /// Problems for the first screen: a chat-template fallback, a server that does not
    /// answer. Often empty.
    var startProblems: [String] { get }

    /// Whether conversations hold KV state here between turns (sequences that can be forked
    /// and released); a server keeps none for its clients.
    var keepsSequences: Bool { get }

    /// A new, empty sequence for a conversation. Only called when `keepsSequences`.
    func createConversation() -> SequenceID

    /// A sequence sharing every block of `source`. Only called when `keepsSequences`.
    func fork(_ source: SequenceID) throws -> SequenceID

    /// Frees a conversation's sequence. Only called when `keepsSequences`.
    func release(_ sequence: SequenceID)

    /// Generates one reply. The events follow `GenerationEvent`'s order and end with exactly
    /// one `.finished`; a failure (an unreachable server, a refused key) is a
    /// `.finished(.failed(message))`, never a thrown error. `stop` ends the reply before its
    /// next token with `.finished(.cancelled)`.
    func generate(_ request: ReplyRequest, stop: StopSignal) -> AsyncStream<GenerationEvent>

    /// The KV pool now, when it is in this process (nil for a server, whose pool arrives
    /// through `reports`). Read right after a change the user made, so the map shows it at once.
    func kvSnapshot() -> KVCacheSnapshot?

    /// What the stats pane draws, as it changes, until the consuming task is cancelled.
    func reports() -> AsyncStream<BackendReport>
}

/// One reply to write.
public struct ReplyRequest: Sendable {
    /// The conversation's sequence, when the backend keeps them.
    public var sequence: SequenceID?
    /// The whole conversation; ending with an assistant message continues that reply.
    public var messages: [ChatMessage]
    public var settings: ChatSettings
    /// Sequences a full pool must not preempt (the conversation on screen).
    public var protected: @Sendable () -> Set<SequenceID> = { [] }

    public init(sequence: SequenceID?, messages: [ChatMessage], settings: ChatSettings) {
        self.sequence = sequence
        self.messages = messages
        self.settings = settings
    }
}

/// A change to what the stats pane shows.
public enum BackendReport: Sendable, Equatable {
    /// The KV pool, block by block (the embedded engine, or `pagoda serve`'s `/v1/kv`).
    case kv(KVCacheSnapshot)
    /// What a server says of itself.
    case server(ServerReport)
}
