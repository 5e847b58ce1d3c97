import Foundation
import PagodaEngine

/// The fuzz targets: each takes any bytes and must return without crashing, hanging,
/// leaking or using unbounded memory. Where a property holds for every input it is checked
/// too, and a violation traps (the fuzzer reports it as a crash with the input).
///
/// - `gguf`: the bytes as a GGUF file: reader, metadata accessors, tensor views, `info`.
/// - `model`: the bytes as a GGUF model: validation, load, and one token through the forward
///   pass when it loads.
/// - `tokenizer`: the bytes as text through a vocabulary (`PAGODA_FUZZ_VOCAB`, a GGUF, or a
///   built-in byte-level one): `decode(encode(text)) == text` when no special token is
///   parsed, and streaming detokenization gives the same text.
/// - `template`: the bytes as a chat template: lexer, parser and renderer over a fixed
///   conversation, within small `JinjaLimits`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case gguf, model, tokenizer, template

    public func run(_ data: Data) {
        switch self {
        case .gguf: Self.gguf(data)
        case .model: Self.model(data)
        case .tokenizer: Self.tokenizer(data)
        case .template: Self.template(data)
        }
    }

    /// Runs the target once on each of its seeds, so that what is made once per process
    /// (lazy globals, tables) is made before the fuzzer starts counting allocations: its
    /// leak check would otherwise take them for leaks.
    public func warmUp() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-fuzz-warmup-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try SeedCorpus.write(to: folder)
        let seeds = folder.appendingPathComponent(rawValue)
        for name in try FileManager.default.contentsOfDirectory(atPath: seeds.path) {
            run(try Data(contentsOf: seeds.appendingPathComponent(name)))
        }
        run(Data())
    }

    // MARK: - Targets

    static func gguf(_ data: Data) {
        guard let file = try? GGUFFile(data: data, name: "fuzz.gguf") else { return }
        for (key, value) in file.metadata.entries {
            _ = value.summary
            _ = try? file.metadata.int(key)
            _ = try? file.metadata.string(key)
            _ = try? file.metadata.floats(key)
        }
        // Each tensor's bytes, first and last read (AddressSanitizer checks they are the file's).
        var touched: UInt8 = 0
        for tensor in file.tensors {
            let bytes = file.data(of: tensor)
            touched ^= (bytes.first ?? 0) ^ (bytes.last ?? 0)
        }
        withExtendedLifetime(touched) {}
        _ = try? ModelSummary(file: file)
        _ = try? Tokenizer(metadata: file.metadata)
    }

    static func model(_ data: Data) {
        guard let file = try? GGUFFile(data: data, name: "fuzz.gguf") else { return }
        var options = EngineOptions()
        options.kvBudgetBytes = 1 << 20
        options.threads = 1
        guard let engine = try? Engine(file: file, options: options) else { return }
        _ = try? engine.logits(of: [0])
    }

    static func tokenizer(_ data: Data) {
        guard let tokenizer = Self.fuzzTokenizer else { return }
        let text = String(decoding: data, as: UTF8.self)
        let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        if tokenizer.roundTrips {
            let back = tokenizer.decode(ids)
            precondition(Array(back.utf8) == Array(text.utf8), "decode(encode(text)) differs from the text")
        }
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        var pieces = ""
        for id in ids { pieces += stream.append(id) }
        pieces += stream.flush()
        // Streaming drops the bytes of a character the ids end inside; decode replaces them.
        let whole = tokenizer.decode(ids)
        precondition(Array(pieces.utf8) == Array(whole.utf8) || (whole.hasSuffix("\u{FFFD}") && whole.hasPrefix(pieces)),
                     "streaming detokenization differs from decode")
        _ = tokenizer.encode(text, addSpecial: true, parseSpecial: true)
    }

    static func template(_ data: Data) {
        var limits = JinjaLimits()
        limits.maxWork = 200_000
        limits.maxOutputBytes = 1 << 20
        limits.maxStringBytes = 1 << 20
        limits.maxListItems = 100_000
        limits.stackBytes = 16 << 20
        guard let template = try? JinjaTemplate(String(decoding: data, as: UTF8.self), limits: limits) else { return }
        _ = try? template.render(Self.conversation)
    }

    // MARK: - Fixed inputs

    static let conversation: [String: JinjaValue] = {
        let messages = try! JinjaChatTemplate.messages(fromJSON: """
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi <b>there</b> ünïcödé 👋"},
             {"role": "assistant", "content": "Hello!", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]},
             {"role": "user", "content": "Again"}]
            """)
        return ["messages": messages, "add_generation_prompt": .bool(true), "bos_token": .string("<s>"), "eos_token": .string("</s>")]
    }()

    /// The tokenizer `PAGODA_FUZZ_VOCAB` names, else a byte-level BPE with every byte.
    static let fuzzTokenizer: FuzzTokenizer? = {
        if let path = ProcessInfo.processInfo.environment["PAGODA_FUZZ_VOCAB"] {
            guard let file = try? GGUFFile(path: path), let t = try? Tokenizer(metadata: file.metadata) else {
                FileHandle.standardError.write(Data("pagoda-fuzz: cannot read the vocabulary \(path)\n".utf8))
                exit(2)
            }
            return FuzzTokenizer(t)
        }
        return (try? Tokenizer(metadata: byteLevelVocabulary())).map(FuzzTokenizer.init)
    }()

    /// GPT-2's printable stand-in character for each byte (`bytes_to_unicode`).
    static let byteStandIns: [String] = {
        var next: UInt32 = 256
        return (0..<256).map { b in
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            var scalar = UInt32(b)
            if !printable { scalar = next; next += 1 }
            return String(Character(Unicode.Scalar(scalar)!))
        }
    }()

    /// Every byte's stand-in character as a token, and a few merges over them.
    static func byteLevelVocabulary() -> GGUFMetadata {
        var tokens = byteStandIns
        let merges = ["Ġ t", "h e", "t h", "Ġt he", "i n", "e r", "Ġ a", "th e", "Ġ th", "a n"]
        for m in merges { tokens.append(m.replacingOccurrences(of: " ", with: "")) }
        tokens.append("<|endoftext|>")
        var m = GGUFMetadata(source: "fuzz-vocab")
        m.set("tokenizer.ggml.model", .string("gpt2"))
        m.set("tokenizer.ggml.pre", .string("qwen2"))
        m.set("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) }))
        m.set("tokenizer.ggml.token_type", .array(.int32, tokens.indices.map { .int32($0 == tokens.count - 1 ? 3 : 1) }))
        m.set("tokenizer.ggml.merges", .array(.string, merges.map { .string($0) }))
        return m
    }
}

/// A tokenizer and whether decoding its encoding gives back any text exactly (true for a
/// byte-level vocabulary with a token for every byte and no user-defined tokens).
final class FuzzTokenizer: @unchecked Sendable {
    let tokenizer: Tokenizer
    let roundTrips: Bool

    init(_ t: Tokenizer) {
        tokenizer = t
        let v = t.vocabulary
        roundTrips = v.model == .bytePairEncoding
            && (0..<v.count).allSatisfy { v.type(of: TokenID($0)) != .userDefined }
            && FuzzTarget.byteStandIns.allSatisfy { v.id(of: $0) != nil }
    }

    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [TokenID] {
        tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: parseSpecial)
    }

    func decode(_ ids: [TokenID]) -> String { tokenizer.decode(ids) }
}

extension StreamingDetokenizer {
    init(tokenizer: FuzzTokenizer) { self.init(tokenizer: tokenizer.tokenizer) }
}
