/// What the engine has done since it was made, for `/metrics` and the stats pane: a copy,
/// taken under the scheduler's lock.
public struct EngineCounters: Sendable, Equatable, Codable {
    /// Requests with tokens in the current batch, and those waiting for room in the pool
    /// (new, or preempted to be recomputed).
    public var running = 0
    public var waiting = 0
    public var requestsFinished = 0
    /// Prompt tokens of admitted requests, and tokens sampled.
    public var promptTokens = 0
    public var generatedTokens = 0
    /// Prefix cache: prompt tokens looked up, and those found in blocks of other sequences.
    public var prefixQueryTokens = 0
    public var prefixHitTokens = 0
    public var prefixHitBlocks = 0
    /// Sequences emptied to make room: idle conversations, and running requests that were
    /// recomputed afterwards.
    public var preemptions = 0
    /// Forward passes, and the tokens and sequences they carried in all.
    public var steps = 0
    public var batchedTokens = 0
    public var batchedSequences = 0

    public init() {}
}
