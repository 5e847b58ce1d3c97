/// How much of a conversation's last prompt was already in the KV cache.
public struct PrefixHit: Equatable, Sendable, Codable {
    /// Tokens that needed no recomputation (held by the conversation or taken from the cache).
    public var reusedTokens = 0
    /// Of those, tokens in blocks taken from the prefix cache (held by other conversations
    /// or cached free).
    public var cachedTokens = 0
    public var cachedBlocks = 0

    public init(reusedTokens: Int = 0, cachedTokens: Int = 0, cachedBlocks: Int = 0) {
        self.reusedTokens = reusedTokens
        self.cachedTokens = cachedTokens
        self.cachedBlocks = cachedBlocks
    }
}
