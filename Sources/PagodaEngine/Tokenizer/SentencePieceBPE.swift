import Foundation

/// SentencePiece BPE (`llama` vocabularies): spaces become `▁`, the text starts as one
/// symbol per character, and the adjacent pair whose concatenation is the highest-scoring
/// token merges first (leftmost on ties), until no pair is a token. Characters with no token
/// fall back to their UTF-8 bytes as `<0xXX>` tokens.
struct SentencePieceBPE: Sendable {
    let vocabulary: Vocabulary
    private let byteTokens: [TokenID?]

    init(vocabulary v: Vocabulary) {
        vocabulary = v
        byteTokens = (0..<256).map { v.idByText[String(format: "<0x%02X>", $0)] }
    }

    /// Appends the tokens of `text` (already with `▁` for spaces) to `out`.
    func encode(_ text: String, into out: inout [TokenID]) {
        var symbols = text.unicodeScalars.map { String($0) }
        guard !symbols.isEmpty else { return }
        while symbols.count > 1 {
            var best: (score: Float, index: Int, token: TokenID)?
            for i in 0..<(symbols.count - 1) {
                guard let id = vocabulary.idByText[symbols[i] + symbols[i + 1]] else { continue }
                let score = vocabulary.scores[Int(id)]
                if best.map({ score > $0.score }) ?? true { best = (score, i, id) }
            }
            guard let merge = best else { break }
            symbols[merge.index] += symbols[merge.index + 1]
            symbols.remove(at: merge.index + 1)
        }
        for symbol in symbols {
            if let id = vocabulary.idByText[symbol] {
                out.append(id)
                continue
            }
            for byte in symbol.utf8 {
                if let id = byteTokens[Int(byte)] { out.append(id) } else if let unk = vocabulary.unknown { out.append(unk) }
            }
        }
    }
}
