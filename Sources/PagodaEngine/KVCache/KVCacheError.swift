public enum KVCacheError: Error, Equatable, CustomStringConvertible {
    /// Not enough free blocks; nothing was changed.
    case outOfBlocks(needed: Int, free: Int, blockTokens: Int)
    case unknownSequence(SequenceID)
    /// The sequence would pass the most tokens one may hold (the model's context).
    case sequenceTooLong(needed: Int, limit: Int)

    public var description: String {
        switch self {
        case .outOfBlocks(let needed, let free, let b):
            "KV cache is full: \(needed) more blocks of \(b) tokens are needed, \(free) are free"
        case .unknownSequence(let id): "no conversation \(id) in the KV cache"
        case .sequenceTooLong(let needed, let limit): "the conversation needs \(needed) tokens, the model's context is \(limit)"
        }
    }
}
