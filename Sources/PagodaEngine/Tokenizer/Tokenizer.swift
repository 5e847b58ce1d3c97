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
/// (user-defined tokens always), the rest through the model's BPE. Text is matched as
/// bytes throughout, and encoding takes O(n log n) in the text's length.
public final class Tokenizer: @unchecked Sendable {
    public let vocabulary: Vocabulary
    private let bpe: ByteLevelBPE?
    private let spm: SentencePieceBPE?
    /// Special tokens by text, longest first (matched greedily in that order).
    private let specials: [(text: [UInt8], id: TokenID, type: Vocabulary.TokenType)]

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
            .map { (Array(v.tokens[Int($0)].utf8), $0, v.type(of: $0)) }
            .filter { !$0.0.isEmpty }
            .sorted { $0.0.count > $1.0.count }
    }

    // MARK: - Encoding

    /// Token ids of `text`. `addSpecial` adds BOS/EOS as the model asks; `parseSpecial` lets
    /// control-token text in `text` stand for those tokens.
    public func encode(_ text: String, addSpecial: Bool = false, parseSpecial: Bool = false) -> [TokenID] {
        var work = 0
        return encode(text, addSpecial: addSpecial, parseSpecial: parseSpecial, work: &work)
    }

    /// `encode`, counting in `work` the pre-tokens and merge steps it took (for the tests
    /// that check the cost grows as n log n, not n²).
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool, work: inout Int) -> [TokenID] {
        var out: [TokenID] = []
        if addSpecial, vocabulary.addBOS, let bos = vocabulary.bos { out.append(bos) }
        var previousWasSpecial = true
        let bytes = Array(text.utf8)
        for fragment in partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(id)
                previousWasSpecial = true
            case .text(let range):
                let piece = bytes[range]
                if let bpe {
                    bpe.encode(codePoints(of: piece), into: &out, work: &work)
                } else if let spm {
                    // Spaces become "▁" (E2 96 81).
                    var escaped: [UInt8] = vocabulary.addSpacePrefix && previousWasSpecial ? [0xE2, 0x96, 0x81] : []
                    escaped.reserveCapacity(piece.count + escaped.count)
                    for b in piece {
                        if b == 0x20 { escaped += [0xE2, 0x96, 0x81] } else { escaped.append(b) }
                    }
                    spm.encode(escaped, into: &out, work: &work)
                }
                previousWasSpecial = false
            }
        }
        if addSpecial, vocabulary.addEOS, let eos = vocabulary.eos { out.append(eos) }
        return out
    }

    /// The code points of valid UTF-8 (a fragment of a Swift string).
    private func codePoints(of bytes: ArraySlice<UInt8>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(bytes.count)
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while case .scalarValue(let s) = decoder.decode(&iterator) { out.append(s.value) }
        return out
    }

    enum Fragment: Equatable {
        /// A byte range of the text.
        case text(Range<Int>)
        case token(TokenID)
    }

    /// Splits `text` at special-token texts (llama.cpp's `tokenizer_st_partition`): each
    /// special token in turn, longest first, is cut out of the remaining text fragments.
    /// Matching is by bytes; since both are valid UTF-8, a match starts and ends on
    /// character boundaries. O(n · specials · longest special) at worst.
    func partition(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = text.isEmpty ? [] : [.text(0..<text.count)]
        for special in specials {
            if !parseSpecial && (special.type == .control || special.type == .unknown) { continue }
            let needle = special.text
            var next: [Fragment] = []
            for fragment in fragments {
                guard case .text(let range) = fragment else {
                    next.append(fragment)
                    continue
                }
                var start = range.lowerBound
                text.withUnsafeBufferPointer { t in
                    var i = range.lowerBound
                    let last = range.upperBound - needle.count
                    while i <= last {
                        // Jump to the next occurrence of the special's first byte.
                        guard let hit = memchr(t.baseAddress! + i, Int32(needle[0]), last - i + 1) else { break }
                        i = t.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                        if needle.withUnsafeBufferPointer({ memcmp(t.baseAddress! + i, $0.baseAddress!, needle.count) == 0 }) {
                            if i > start { next.append(.text(start..<i)) }
                            next.append(.token(special.id))
                            i += needle.count
                            start = i
                        } else {
                            i += 1
                        }
                    }
                }
                if start < range.upperBound { next.append(.text(start..<range.upperBound)) }
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
