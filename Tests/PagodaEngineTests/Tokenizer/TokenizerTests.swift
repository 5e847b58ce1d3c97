import XCTest
@testable import PagodaEngine

final class TokenizerTests: XCTestCase {
    func smolTokenizer() throws -> Tokenizer {
        try Tokenizer(metadata: RealModels.file(.smolLM2).metadata)
    }

    func testChatMLSpecialTokensOnlyWhenAsked() throws {
        let t = try smolTokenizer()
        let text = "<|im_start|>user\nHi<|im_end|>"
        let parsed = t.encode(text, parseSpecial: true)
        XCTAssertEqual(parsed.first, 1)
        XCTAssertEqual(parsed.last, 2)
        let plain = t.encode(text)
        XCTAssertFalse(plain.contains(1) || plain.contains(2), "special text is ordinary text unless parsed")
        XCTAssertEqual(t.decode(plain), text)
        XCTAssertEqual(t.decode(parsed), "user\nHi", "control tokens are not shown")
        XCTAssertEqual(t.decode(parsed, special: true), text)
        XCTAssertTrue(t.isEndOfGeneration(2))
    }

    func testDefaultSystemPromptMatchesTheReferenceIds() throws {
        // The ids of the reference conversation in ../shared/fixtures/logits (system turn).
        let t = try smolTokenizer()
        let ids = t.encode("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n", parseSpecial: true)
        XCTAssertEqual(ids, [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411, 407, 19712, 8182, 2, 198])
    }

    func testSmolLMSplitsEveryDigit() throws {
        let t = try smolTokenizer()
        let ids = t.encode("2024")
        XCTAssertEqual(ids.count, 4)
        XCTAssertEqual(t.decode(ids), "2024")
    }

    func testStreamingDetokenizerNeverSplitsACharacter() throws {
        let t = try smolTokenizer()
        let text = "naïve café — 東京 🙂 done"
        let ids = t.encode(text)
        var stream = StreamingDetokenizer(tokenizer: t)
        var pieces: [String] = []
        for id in ids { pieces.append(stream.append(id)) }
        pieces.append(stream.flush())
        XCTAssertEqual(pieces.joined(), text)
        XCTAssertFalse(pieces.contains { $0.contains("\u{FFFD}") }, "no piece holds half a character")
    }

    func testStreamEndingInsideACharacterDropsItsBytes() throws {
        let t = try smolTokenizer()
        // "東" alone as bytes: its first two bytes are held back and dropped at the end.
        var stream = StreamingDetokenizer(tokenizer: t)
        var out = ""
        // The tokens of single bytes 0xE6 and 0x9D: a reply cut after them stopped inside "東".
        let partial = [[UInt8(0xE6)], [0x9D]].compactMap { byte in (0..<TokenID(t.vocabulary.count)).first { t.bytes(of: $0) == byte } }
        XCTAssertEqual(partial.count, 2, "a byte-level vocabulary has a token for every byte")
        for id in t.encode("ab") + partial { out += stream.append(id) }
        out += stream.flush()
        XCTAssertEqual(out, "ab", "a reply cut inside a character ends before it, not in U+FFFD")
    }

    func testCompletePrefixLength() {
        XCTAssertEqual(StreamingDetokenizer.completePrefixLength([0x61, 0xE6, 0x9D]), 1)
        XCTAssertEqual(StreamingDetokenizer.completePrefixLength([0x61, 0xE6, 0x9D, 0xB1]), 4)
        XCTAssertEqual(StreamingDetokenizer.completePrefixLength([0xF0, 0x9F, 0x99]), 0)
        XCTAssertEqual(StreamingDetokenizer.completePrefixLength([0x80, 0x80]), 2, "stray continuation bytes pass through")
    }

    func testUnknownPreTokenizerIsNamed() throws {
        var m = GGUFMetadata(source: "v.gguf")
        m.set("tokenizer.ggml.model", .string("gpt2"))
        m.set("tokenizer.ggml.pre", .string("martian"))
        m.set("tokenizer.ggml.tokens", .array(.string, [.string("a")]))
        m.set("tokenizer.ggml.merges", .array(.string, []))
        XCTAssertThrowsError(try Tokenizer(metadata: m)) { error in
            XCTAssertEqual("\(error)", "v.gguf: metadata 'tokenizer.ggml.pre': pre-tokenizer 'martian' is not supported")
        }
    }
}
