/// A consistent picture of the KV cache at one moment, for the stats pane, the server's
/// `/v1/kv` (as JSON) and tests.
public struct KVCacheSnapshot: Sendable, Equatable, Codable {
    public enum BlockState: String, Sendable, Equatable, Codable {
        /// Holds nothing worth keeping.
        case free
        /// Free, but holds a full block a later prefix hit can revive (evicted LRU first).
        case cachedFree = "cached"
        /// Held by one or more sequences.
        case inUse = "in_use"
    }

    public struct Block: Sendable, Equatable, Codable {
        public let id: Int
        public let state: BlockState
        public let refCount: Int
        /// Tokens written (0…blockTokens).
        public let fill: Int
        public let owners: [SequenceID]
        /// Registered in the prefix cache.
        public let hashed: Bool
        public var isShared: Bool { refCount > 1 }
    }

    public struct Sequence: Sendable, Equatable, Codable {
        public let id: SequenceID
        public let tokenCount: Int
        /// Logical block i → physical block.
        public let table: [Int]
        public let lastPrefixHit: PrefixHit
    }

    public let layout: KVCacheLayout
    public let blocks: [Block]
    public let sequences: [Sequence]
    public let copyOnWriteCount: Int
    /// Grows with every change to the cache: of two snapshots, the one with the larger
    /// version is the later picture (they may arrive out of order from different threads).
    public let version: Int

    public init(layout: KVCacheLayout, blocks: [Block], sequences: [Sequence], copyOnWriteCount: Int, version: Int = 0) {
        self.layout = layout
        self.blocks = blocks
        self.sequences = sequences
        self.copyOnWriteCount = copyOnWriteCount
        self.version = version
    }

    public var totalBlocks: Int { blocks.count }
    public var usedBlocks: Int { blocks.filter { $0.state == .inUse }.count }
    public var cachedFreeBlocks: Int { blocks.filter { $0.state == .cachedFree }.count }
    public var freeBlocks: Int { blocks.filter { $0.state == .free }.count }
    public var sharedBlocks: Int { blocks.filter(\.isShared).count }
    public var bytesInUse: Int { usedBlocks * layout.bytesPerBlock }
    public var totalBytes: Int { totalBlocks * layout.bytesPerBlock }
}
