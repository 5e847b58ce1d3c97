import Foundation

/// GPT-2 style byte-level BPE: each pre-tokenized piece becomes UTF-8 bytes, each byte a
/// printable stand-in character, and adjacent symbols merge by the rank of their pair in
/// the merges list (lowest first, leftmost first on ties) until no listed pair is left
/// (`AdjacentMerge`: O(n log n) in the piece's length).
final class ByteLevelBPE: @unchecked Sendable {
    /// GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the rest to U+0100….
    static let byteToCharacter: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    static let characterToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, c) in byteToCharacter.enumerated() { map[c] = UInt8(b) }
        return map
    }()

    let vocabulary: Vocabulary
    let preTokenizer: PreTokenizer
    /// Token of each single byte's stand-in character (-1 if the vocabulary lacks it).
    private let byteTokens: [TokenID]
    /// (left, right) → (rank, merged token).
    private let mergeTable: [UInt64: (rank: Int32, merged: TokenID)]
    private let ignoreMerges: Bool
    private var cache: [[UInt32]: [TokenID]] = [:]
    private let lock = NSLock()

    init(vocabulary v: Vocabulary) throws {
        guard let pre = PreTokenizer.named(v.preTokenizer) else {
            throw TokenizerError.unknownPreTokenizer(v.preTokenizer)
        }
        vocabulary = v
        preTokenizer = pre
        byteTokens = Self.byteToCharacter.map { c in v.id(of: String(Character(Unicode.Scalar(c)!))) ?? -1 }
        var table: [UInt64: (Int32, TokenID)] = [:]
        table.reserveCapacity(v.merges.count)
        for (rank, merge) in v.merges.enumerated() {
            guard let space = merge.firstIndex(of: " ") else { continue }
            let left = String(merge[..<space]), right = String(merge[merge.index(after: space)...])
            guard let l = v.id(of: left), let r = v.id(of: right), let m = v.id(of: left + right) else { continue }
            let key = UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
            if table[key] == nil { table[key] = (Int32(rank), m) }
        }
        mergeTable = table
        ignoreMerges = ["llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "midm-2.0", "lfm2"].contains(v.preTokenizer)
    }

    /// Pieces up to this many code points are cached (longer ones are rare and would make
    /// the cache's keys large).
    private static let cachedPieceLength = 64

    /// Appends the tokens of `text` (code points, no special tokens in it) to `out`; `work`
    /// grows by the merge steps taken (see `AdjacentMerge`).
    func encode(_ text: [UInt32], into out: inout [TokenID], work: inout Int) {
        var start = 0
        for length in preTokenizer.split(text) {
            let piece = Array(text[start..<(start + length)])
            start += length
            work += 1
            let cacheable = piece.count <= Self.cachedPieceLength
            if cacheable {
                lock.lock()
                let cached = cache[piece]
                lock.unlock()
                if let cached {
                    out.append(contentsOf: cached)
                    continue
                }
            }
            let tokens = encodePiece(piece, work: &work)
            out.append(contentsOf: tokens)
            guard cacheable else { continue }
            lock.lock()
            if cache.count > 200_000 { cache.removeAll(keepingCapacity: true) }
            cache[piece] = tokens
            lock.unlock()
        }
    }

    private func encodePiece(_ piece: [UInt32], work: inout Int) -> [TokenID] {
        var bytes: [UInt8] = []
        for cp in piece { appendUTF8(cp, to: &bytes) }
        if ignoreMerges {
            var mapped: [UInt8] = []
            for b in bytes { appendUTF8(Self.byteToCharacter[Int(b)], to: &mapped) }
            if let whole = vocabulary.id(of: mapped) { return [whole] }
        }
        // One symbol per byte; -1 marks a byte the vocabulary cannot spell.
        var symbols = bytes.map { byteTokens[Int($0)] }
        func pair(_ l: Int, _ r: Int) -> (rank: Int32, merged: TokenID)? {
            guard symbols[l] >= 0, symbols[r] >= 0 else { return nil }
            return mergeTable[UInt64(UInt32(bitPattern: symbols[l])) << 32 | UInt64(UInt32(bitPattern: symbols[r]))]
        }
        let survivors = AdjacentMerge.run(count: symbols.count, work: &work,
                                          priority: { l, r in pair(l, r).map { (Int64($0.rank), $0.merged) } },
                                          merge: { l, _, merged in symbols[l] = merged })
        return survivors.map { symbols[$0] >= 0 ? symbols[$0] : (vocabulary.unknown ?? 0) }
    }

    /// The bytes a token's text stands for.
    static func decode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for scalar in text.unicodeScalars {
            if let b = characterToByte[scalar.value] { out.append(b) } else { appendUTF8(scalar.value, to: &out) }
        }
        return out
    }
}

/// Appends the UTF-8 encoding of `cp` to `bytes`.
@inline(__always)
func appendUTF8(_ cp: UInt32, to bytes: inout [UInt8]) {
    switch cp {
    case 0..<0x80: bytes.append(UInt8(cp))
    case 0x80..<0x800:
        bytes.append(UInt8(0xC0 | (cp >> 6)))
        bytes.append(UInt8(0x80 | (cp & 0x3F)))
    case 0x800..<0x10000:
        bytes.append(UInt8(0xE0 | (cp >> 12)))
        bytes.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
        bytes.append(UInt8(0x80 | (cp & 0x3F)))
    default:
        bytes.append(UInt8(0xF0 | (cp >> 18)))
        bytes.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
        bytes.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
        bytes.append(UInt8(0x80 | (cp & 0x3F)))
    }
}
