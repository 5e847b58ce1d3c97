/// What a generation reports, in order: `prompt` once, prompt progress, then for each token
/// `decoded` and the text it completed, then exactly one `finished`; `preempted` may come at
/// any point before `finished`.
public enum GenerationEvent: Sendable, Equatable {
    /// The prompt is tokenized: how long it is and what was done to make it fit.
    case prompt(PromptReport)
    /// Prompt tokens processed so far (reused ones count as processed).
    case promptProgress(done: Int, total: Int)
    /// The KV pool was full: another conversation's sequence was emptied to make room
    /// (`freedBlocks` became free; blocks it shared stay). Giving it its context again
    /// recomputes it.
    case preempted(SequenceID, freedBlocks: Int)
    /// After each token sampled (end of turn excepted): tokens out so far and the seconds
    /// since decoding began, for a live tokens/s.
    case decoded(tokens: Int, seconds: Double)
    /// A piece of the reply: always whole UTF-8 characters.
    case text(String)
    case finished(FinishReason, GenerationStats)
}

/// The prompt a generation runs on, as the engine made it from the request.
public struct PromptReport: Sendable, Equatable {
    /// The prompt's token ids (the whole context of the reply).
    public var tokens: [TokenID]
    /// Set when the chat template failed while rendering and ChatML was used instead.
    public var warning: String?
    /// Messages the context policy left out so the prompt fits.
    public var droppedMessages = 0
    /// Set when the context or the pool leaves room for fewer tokens than the request's
    /// limit: the reply stops there, cut as at the limit.
    public var replyRoom: Int?

    public init(tokens: [TokenID], warning: String? = nil, droppedMessages: Int = 0, replyRoom: Int? = nil) {
        self.tokens = tokens
        self.warning = warning
        self.droppedMessages = droppedMessages
        self.replyRoom = replyRoom
    }
}

public enum FinishReason: Sendable, Equatable, CustomStringConvertible {
    /// The model produced an end-of-turn token.
    case endOfGeneration
    /// A stop string appeared; it is not part of the reply.
    case stopString(String)
    /// The token limit was reached.
    case length
    case cancelled
    /// The engine could not go on (a full KV pool, a context too long); the message says why.
    case failed(String)

    public var description: String {
        switch self {
        case .endOfGeneration: "end of turn"
        case .stopString(let s): "stop string \(s.debugDescription)"
        case .length: "token limit"
        case .cancelled: "stopped"
        case .failed(let message): "error: \(message)"
        }
    }
}

/// Timing and memory of one generation.
public struct GenerationStats: Sendable, Equatable, Codable {
    public var promptTokens = 0
    /// Prompt tokens that needed no computation (already in this conversation's cache or
    /// taken from the prefix cache).
    public var reusedPromptTokens = 0
    /// Of those, tokens found in blocks of other conversations (prefix-cache hits).
    public var prefixCacheHitTokens = 0
    public var prefixCacheHitBlocks = 0
    public var prefillSeconds = 0.0
    public var generatedTokens = 0
    public var decodeSeconds = 0.0
    public var timeToFirstTokenSeconds = 0.0
    public var kvBlocksInUse = 0
    public var kvBlocksTotal = 0

    public init() {}

    /// Prompt tokens computed per second.
    public var prefillTokensPerSecond: Double {
        prefillSeconds > 0 ? Double(promptTokens - reusedPromptTokens) / prefillSeconds : 0
    }

    /// Generated tokens per second, after the first.
    public var decodeTokensPerSecond: Double {
        decodeSeconds > 0 && generatedTokens > 1 ? Double(generatedTokens - 1) / decodeSeconds : 0
    }
}
