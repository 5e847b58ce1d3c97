import Foundation
import XCTest
@testable import PagodaEngine

/// Encoding costs O(n log n) in the text's length, whatever the text: doubling an input of
/// one long pre-token at most ~2.5× the work, counted in merge steps (not seconds, which a
/// shared machine cannot time). Before, one pre-token of 30 KB took minutes.
final class TokenizerComplexityTests: XCTestCase {
    /// Inputs that make one huge pre-token (or many).
    static let inputs = ["one letter", "spaces", "newlines", "digits", "one CJK character", "varied CJK", "emoji", "invalid UTF-8", "mixed"]

    /// `n` characters of the input named `name`.
    static func input(_ name: String, _ n: Int) -> String {
        switch name {
        case "one letter": return String(repeating: "a", count: n)
        case "spaces": return String(repeating: " ", count: n)
        case "newlines": return String(repeating: "\n", count: n)
        case "digits": return String(repeating: "7", count: n)
        case "one CJK character": return String(repeating: "中", count: n)
        case "varied CJK":
            let scalars = (0..<n).map { i -> Character in Character(Unicode.Scalar(0x4E00 + UInt32((i * 7919) % 20000))!) }
            return String(scalars)
        case "emoji": return String(repeating: "😀", count: n)
        case "invalid UTF-8": return String(decoding: [UInt8](repeating: 0xFF, count: n), as: UTF8.self)
        default:
            let alphabet: [String] = ["a", "b", " ", "中", "😀", "\n", "1", "é", "!"]
            return (0..<n).map { alphabet[($0 * 31 + $0 / 7) % alphabet.count] }.joined()
        }
    }

    func testDoublingTheInputAtMostTwoAndAHalfTimesTheWork() throws {
        let folder = try SharedFixtures.folder("tokenizer", needs: "llama.cpp's vocabularies ggml-vocab-*.gguf")
        for vocabulary in ["gpt-2", "qwen2", "llama-spm", "starcoder"] {
            let tokenizer = try Tokenizer(metadata: GGUFFile(path: folder.appendingPathComponent("ggml-vocab-\(vocabulary).gguf").path).metadata)
            for name in Self.inputs {
                func work(_ n: Int) -> Int {
                    var work = 0
                    _ = tokenizer.encode(Self.input(name, n), addSpecial: false, parseSpecial: false, work: &work)
                    return work
                }
                let small = work(16_384), large = work(32_768)
                XCTAssertGreaterThan(small, 0, "\(vocabulary), \(name)")
                XCTAssertLessThanOrEqual(Double(large), 2.5 * Double(small), "\(vocabulary), \(name): \(small) → \(large) steps")
            }
        }
    }

    func testTokensAreMatchedAsBytesNotAsCanonicallyEqualStrings() throws {
        // "é" precomposed (U+00E9) and decomposed (e + U+0301) are equal Swift Strings but
        // different tokens.
        let tokens = ["<unk>", "▁", "e", "\u{301}", "\u{E9}", "e\u{301}", "x"]
        var m = GGUFMetadata(source: "accents.gguf")
        m.set("tokenizer.ggml.model", .string("llama"))
        m.set("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) }))
        m.set("tokenizer.ggml.scores", .array(.float32, tokens.indices.map { .float32(-Float($0)) }))
        m.set("tokenizer.ggml.token_type", .array(.int32, tokens.indices.map { .int32($0 == 0 ? 2 : 1) }))
        m.set("tokenizer.ggml.unknown_token_id", .uint32(0))
        m.set("tokenizer.ggml.add_space_prefix", .bool(false))
        let t = try Tokenizer(metadata: m)
        XCTAssertEqual(t.vocabulary.id(of: "\u{E9}"), 4)
        XCTAssertEqual(t.vocabulary.id(of: "e\u{301}"), 5, "both spellings keep their own id")
        XCTAssertEqual(t.encode("\u{E9}"), [4])
        XCTAssertEqual(t.encode("e\u{301}"), [5])
        XCTAssertEqual(t.decode([5]).unicodeScalars.count, 2, "decoding gives back the bytes, not a normalized form")
    }
}
