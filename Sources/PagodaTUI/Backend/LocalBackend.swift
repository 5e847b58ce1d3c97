import PagodaEngine

/// The embedded engine as the chat's backend: conversations keep their KV sequences, the
/// block map comes from the engine's own snapshots.
public final class LocalBackend: ChatBackend {
    public let engine: Engine
    public let model: ModelInfo

    public init(engine: Engine) {
        self.engine = engine
        model = ModelInfo(facts: engine.facts)
    }

    public var startNotices: [String] { [] }
    public var startProblems: [String] { engine.templateWarning.map { [$0] } ?? [] }
    public var keepsSequences: Bool { true }

    public func createConversation() -> SequenceID { engine.createConversation() }
    public func fork(_ source: SequenceID) throws -> SequenceID { try engine.fork(source) }
    public func release(_ sequence: SequenceID) { engine.release(sequence) }

    public func generate(_ request: ReplyRequest, stop: StopSignal) -> AsyncStream<GenerationEvent> {
        // The engine renders the template and tokenizes the prompt on its own queue. A reply
        // ends where the context or the pool does, cut as at the token limit (so /continue
        // goes on), instead of failing with a full KV cache mid-reply.
        guard let sequence = request.sequence else {
            return AsyncStream { $0.yield(.finished(.failed("no KV sequence was made for this conversation"), GenerationStats())); $0.finish() }
        }
        var r = Engine.Request(sequence: sequence, input: .messages(request.messages))
        r.sampling = request.settings.sampling
        r.maxTokens = request.settings.maxTokens
        r.contextPolicy = request.settings.contextPolicy
        r.protected = request.protected
        return engine.generate(r, stop: stop)
    }

    public func kvSnapshot() -> KVCacheSnapshot? { engine.kvSnapshot() }

    /// The snapshot now, then one after every change to the cache.
    public func reports() -> AsyncStream<BackendReport> {
        let engine = self.engine
        return AsyncStream { continuation in
            continuation.yield(.kv(engine.kvSnapshot()))
            let task = Task.detached {
                for await snapshot in engine.kvSnapshots() { continuation.yield(.kv(snapshot)) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
