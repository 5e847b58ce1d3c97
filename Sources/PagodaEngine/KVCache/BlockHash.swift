/// Names the content of a full KV block together with everything before it: the hash of
/// the parent block's `BlockHash` and this block's token ids. Two blocks with equal hashes
/// hold the keys and values of the same prefix, so one can stand for the other.
///
/// The pool also keeps each cached block's parent and tokens and compares them on a hit,
/// so a 64-bit collision can never hand out the wrong keys and values.
public struct BlockHash: Hashable, Sendable, CustomStringConvertible {
    public let value: UInt64

    /// The hash of a first block has no parent.
    public init(parent: BlockHash?, tokens: ArraySlice<TokenID>) {
        // FNV-1a over the parent's hash and the token ids, then a final avalanche.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt64) {
            var w = word
            for _ in 0..<8 {
                h ^= w & 0xFF
                h &*= 0x0000_0100_0000_01B3
                w >>= 8
            }
        }
        mix(parent?.value ?? 0x5055_4741_4441_0000)  // a fixed seed for the first block
        for token in tokens { mix(UInt64(UInt32(bitPattern: token))) }
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        value = h
    }

    public var description: String { String(value, radix: 16) }
}
