import Foundation

public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case unknownPreTokenizer(String)

    public var description: String {
        switch self {
        case .unknownPreTokenizer(let name): "pre-tokenizer '\(name)' is not supported"
        }
    }
}

/// Text ↔ token ids for a model, built from its GGUF metadata.
///
/// `encode` works like llama.cpp's `llama_tokenize`: optional BOS/EOS from the model's
/// settings, special-token text (`<|im_start|>`) recognized only when `parseSpecial` is set
/// (user-defined tokens always), the rest through the model's BPE.
public final class Tokenizer: @unchecked Sendable {
    public let vocabulary: Vocabulary
    private let bpe: ByteLevelBPE?
    private let spm: SentencePieceBPE?
    /// Special tokens by text, longest first (matched greedily in that order).
    private let specials: [(text: String, id: TokenID, type: Vocabulary.TokenType)]

    public init(metadata: GGUFMetadata) throws {
        let v = try Vocabulary(metadata: metadata)
        vocabulary = v
        switch v.model {
        case .bytePairEncoding:
            do { bpe = try ByteLevelBPE(vocabulary: v) } catch let e as TokenizerError {
                throw GGUFError(file: metadata.source, field: "metadata 'tokenizer.ggml.pre'", problem: e.description)
            }
            spm = nil
        case .sentencePiece:
            bpe = nil
            spm = SentencePieceBPE(vocabulary: v)
        }
        specials = v.specialTokens
            .map { (v.tokens[Int($0)], $0, v.type(of: $0)) }
            .filter { !$0.0.isEmpty }
            .sorted { $0.0.utf8.count > $1.0.utf8.count }
    }

    // MARK: - Encoding

    /// Token ids of `text`. `addSpecial` adds BOS/EOS as the model asks; `parseSpecial` lets
    /// control-token text in `text` stand for those tokens.
    public func encode(_ text: String, addSpecial: Bool = false, parseSpecial: Bool = false) -> [TokenID] {
        var out: [TokenID] = []
        if addSpecial, vocabulary.addBOS, let bos = vocabulary.bos { out.append(bos) }
        var previousWasSpecial = true
        for fragment in partition(text, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(id)
                previousWasSpecial = true
            case .text(let piece):
                if let bpe {
                    bpe.encode(Array(piece.unicodeScalars.map(\.value)), into: &out)
                } else if let spm {
                    var escaped = vocabulary.addSpacePrefix && previousWasSpecial ? " " : ""
                    escaped += piece
                    spm.encode(escaped.replacingOccurrences(of: " ", with: "▁"), into: &out)
                }
                previousWasSpecial = false
            }
        }
        if addSpecial, vocabulary.addEOS, let eos = vocabulary.eos { out.append(eos) }
        return out
    }

    enum Fragment: Equatable {
        case text(String)
        case token(TokenID)
    }

    /// Splits `text` at special-token texts (llama.cpp's `tokenizer_st_partition`): each
    /// special token in turn, longest first, is cut out of the remaining text fragments.
    func partition(_ text: String, parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = text.isEmpty ? [] : [.text(text)]
        for special in specials {
            if !parseSpecial && (special.type == .control || special.type == .unknown) { continue }
            var next: [Fragment] = []
            for fragment in fragments {
                guard case .text(let s) = fragment, s.contains(special.text) else {
                    next.append(fragment)
                    continue
                }
                var rest = Substring(s)
                while let range = rest.range(of: special.text) {
                    if range.lowerBound > rest.startIndex { next.append(.text(String(rest[..<range.lowerBound]))) }
                    next.append(.token(special.id))
                    rest = rest[range.upperBound...]
                }
                if !rest.isEmpty { next.append(.text(String(rest))) }
            }
            fragments = next
        }
        return fragments
    }

    // MARK: - Decoding

    /// The bytes token `id` stands for. Control tokens give their text only with `special`.
    public func bytes(of id: TokenID, special: Bool = false) -> [UInt8] {
        guard id >= 0, Int(id) < vocabulary.count else { return [] }
        let text = vocabulary.tokens[Int(id)]
        switch vocabulary.type(of: id) {
        case .control, .unknown, .unused, .undefined:
            return special ? Array(text.utf8) : []
        case .userDefined:
            return Array(text.utf8)
        case .byte:
            if vocabulary.model == .sentencePiece, text.count == 6, let b = UInt8(text.dropFirst(3).prefix(2), radix: 16) { return [b] }
            return ByteLevelBPE.decode(text)
        case .normal:
            switch vocabulary.model {
            case .bytePairEncoding: return ByteLevelBPE.decode(text)
            case .sentencePiece: return Array(text.replacingOccurrences(of: "▁", with: " ").utf8)
            }
        }
    }

    /// The text of `ids`, with invalid UTF-8 replaced.
    public func decode(_ ids: [TokenID], special: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids { bytes += self.bytes(of: id, special: special) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func isEndOfGeneration(_ id: TokenID) -> Bool { vocabulary.endOfGeneration.contains(id) }
}
