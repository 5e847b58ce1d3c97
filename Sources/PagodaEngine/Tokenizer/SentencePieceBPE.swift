import Foundation

/// SentencePiece BPE (`llama` vocabularies): spaces become `▁`, the text starts as one
/// symbol per character, and the adjacent pair whose concatenation is the highest-scoring
/// token merges first (leftmost on ties), until no pair is a token (`AdjacentMerge`:
/// O(n log n)). Characters with no token fall back to their UTF-8 bytes as `<0xXX>` tokens.
/// Symbols are byte ranges of the text, looked up as bytes.
struct SentencePieceBPE: Sendable {
    let vocabulary: Vocabulary
    private let byteTokens: [TokenID?]

    init(vocabulary v: Vocabulary) {
        vocabulary = v
        byteTokens = (0..<256).map { v.id(of: String(format: "<0x%02X>", $0)) }
    }

    /// Appends the tokens of `text` (UTF-8, already with `▁` for spaces) to `out`; `work`
    /// grows by the merge steps taken.
    func encode(_ text: [UInt8], into out: inout [TokenID], work: inout Int) {
        // One symbol per character: (start, length) in `text`.
        var starts: [Int] = [], lengths: [Int] = []
        var i = 0
        while i < text.count {
            let n = min(utf8SequenceLength(text[i]), text.count - i)
            starts.append(i)
            lengths.append(n)
            i += n
        }
        func token(_ l: Int, _ r: Int) -> TokenID? {
            vocabulary.id(of: Array(text[starts[l]..<(starts[r] + lengths[r])]))
        }
        let survivors = AdjacentMerge.run(
            count: starts.count, work: &work,
            priority: { l, r in token(l, r).map { (-Self.orderKey(vocabulary.scores[Int($0)]), $0) } },
            merge: { l, r, _ in lengths[l] += lengths[r] })
        for s in survivors {
            let bytes = text[starts[s]..<(starts[s] + lengths[s])]
            if let id = vocabulary.id(of: Array(bytes)) {
                out.append(id)
                continue
            }
            for byte in bytes {
                if let id = byteTokens[Int(byte)] { out.append(id) } else if let unk = vocabulary.unknown { out.append(unk) }
            }
        }
    }

    /// An integer that orders like `score` (higher score, higher key).
    private static func orderKey(_ score: Float) -> Int64 {
        let bits = Int32(bitPattern: score.bitPattern)
        return Int64(bits >= 0 ? bits : bits ^ Int32.max)
    }
}

/// Bytes of the UTF-8 sequence that `lead` starts (1 for a stray continuation byte).
@inline(__always)
public func utf8SequenceLength(_ lead: UInt8) -> Int {
    switch lead {
    case 0xF0...: 4
    case 0xE0...: 3
    case 0xC0...: 2
    default: 1
    }
}
