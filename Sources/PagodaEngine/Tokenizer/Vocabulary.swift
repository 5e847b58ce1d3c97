/// A model's vocabulary from GGUF metadata (`tokenizer.ggml.*`): token texts, their types,
/// scores (SentencePiece) and merges (BPE), and the special token ids.
public struct Vocabulary: Sendable {
    /// `tokenizer.ggml.token_type`, numbered as in GGUF.
    public enum TokenType: Int32, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public enum Model: String, Sendable {
        /// Byte-level BPE with merges (`gpt2`).
        case bytePairEncoding = "gpt2"
        /// SentencePiece BPE with scores and byte fallback (`llama`).
        case sentencePiece = "llama"
    }

    public let model: Model
    public let tokens: [String]
    public let types: [TokenType]
    public let scores: [Float]
    public let merges: [String]
    public let preTokenizer: String
    /// Token ids by their text's bytes (the first token of a text wins, as in llama.cpp).
    let idByBytes: [TokenBytes: TokenID]

    public let bos: TokenID?
    public let eos: TokenID?
    /// The BOS and EOS tokens' text, as templates see them (`bos_token`); empty when absent.
    public var bosText: String { bos.map { tokens[Int($0)] } ?? "" }
    public var eosText: String { eos.map { tokens[Int($0)] } ?? "" }
    public let eot: TokenID?
    public let unknown: TokenID?
    public let addBOS: Bool
    public let addEOS: Bool
    public let addSpacePrefix: Bool
    /// Tokens that end a turn (EOS, EOT and the well-known end markers).
    public let endOfGeneration: Set<TokenID>

    /// Texts that mark the end of a turn in common chat formats.
    static let endMarkers: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
        "<EOT>", "_<EOT>", "<|eom_id|>", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ]

    public init(metadata m: GGUFMetadata) throws {
        let name = try m.string("tokenizer.ggml.model")
        guard let model = Model(rawValue: name) else {
            throw GGUFError(file: m.source, field: "metadata 'tokenizer.ggml.model'",
                            problem: "tokenizer '\(name)' is not supported (supported: gpt2, llama)")
        }
        self.model = model
        tokens = try m.strings("tokenizer.ggml.tokens")
        guard !tokens.isEmpty else {
            throw GGUFError(file: m.source, field: "metadata 'tokenizer.ggml.tokens'", problem: "is empty")
        }
        if m.contains("tokenizer.ggml.token_type") {
            let raw = try m.ints("tokenizer.ggml.token_type")
            guard raw.count == tokens.count else {
                throw GGUFError(file: m.source, field: "metadata 'tokenizer.ggml.token_type'", problem: "has \(raw.count) entries for \(tokens.count) tokens")
            }
            types = raw.map { TokenType(rawValue: Int32(clamping: $0)) ?? .normal }
        } else {
            types = Array(repeating: .normal, count: tokens.count)
        }
        if m.contains("tokenizer.ggml.scores") {
            scores = try m.floats("tokenizer.ggml.scores")
            guard scores.count == tokens.count else {
                throw GGUFError(file: m.source, field: "metadata 'tokenizer.ggml.scores'", problem: "has \(scores.count) entries for \(tokens.count) tokens")
            }
        } else {
            scores = Array(repeating: 0, count: tokens.count)
        }
        merges = model == .bytePairEncoding ? try m.strings("tokenizer.ggml.merges") : []
        preTokenizer = try m.string("tokenizer.ggml.pre", default: "default") ?? "default"

        var byBytes: [TokenBytes: TokenID] = [:]
        byBytes.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() {
            let key = TokenBytes(t)
            if byBytes[key] == nil { byBytes[key] = TokenID(i) }
        }
        idByBytes = byBytes

        let tokenTexts = tokens
        func id(_ key: String) throws -> TokenID? {
            guard m.contains(key) else { return nil }
            let v = try m.int(key)
            guard v >= 0, v < tokenTexts.count else {
                if v == -1 || v == Int(UInt32.max) { return nil }  // "none"
                throw GGUFError(file: m.source, field: "metadata '\(key)'", problem: "token id \(v) is outside the vocabulary (\(tokenTexts.count) tokens)")
            }
            return TokenID(v)
        }
        let bosID = try id("tokenizer.ggml.bos_token_id")
        let eosID = try id("tokenizer.ggml.eos_token_id")
        bos = bosID
        eos = eosID
        unknown = try id("tokenizer.ggml.unknown_token_id")
        let llama3Family: Set<String> = ["llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "midm-2.0", "lfm2"]
        let defaultBOS = model == .sentencePiece || llama3Family.contains(preTokenizer)
        addBOS = try m.bool("tokenizer.ggml.add_bos_token", default: defaultBOS)
        addEOS = try m.bool("tokenizer.ggml.add_eos_token", default: false)
        addSpacePrefix = try m.bool("tokenizer.ggml.add_space_prefix", default: model == .sentencePiece)

        var eotID = try id("tokenizer.ggml.eot_token_id")
        if eotID == nil {
            eotID = tokenTexts.firstIndex { ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>"].contains($0) }.map { TokenID($0) }
        }
        eot = eotID
        var ends = Set<TokenID>()
        if let eosID { ends.insert(eosID) }
        if let eotID { ends.insert(eotID) }
        for (i, t) in tokenTexts.enumerated() where Self.endMarkers.contains(t) { ends.insert(TokenID(i)) }
        endOfGeneration = ends
    }

    public var count: Int { tokens.count }

    /// The token whose text is exactly `text`'s bytes.
    public func id(of text: String) -> TokenID? { idByBytes[TokenBytes(text)] }

    func id(of bytes: [UInt8]) -> TokenID? { idByBytes[TokenBytes(bytes)] }

    public func type(of id: TokenID) -> TokenType { types[Int(id)] }

    /// Control and user-defined tokens: the ones matched whole in text before splitting.
    public var specialTokens: [TokenID] {
        (0..<tokens.count).filter { [.control, .userDefined, .unknown].contains(types[$0]) }.map { TokenID($0) }
    }
}
