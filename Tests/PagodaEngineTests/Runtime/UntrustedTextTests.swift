import XCTest
@testable import PagodaEngine

/// Text from a model file printed safely: no escape sequence reaches the terminal.
final class UntrustedTextTests: XCTestCase {
    func testControlCharactersAndBidiOverridesAreEscaped() {
        XCTAssertEqual(UntrustedText.escaped("a\u{1B}[2Jb"), "a\\x1b[2Jb")
        XCTAssertEqual(UntrustedText.escaped("x\u{7F}\u{9B}y\u{0}"), "x\\x7f\\x9by\\x00")
        XCTAssertEqual(UntrustedText.escaped("evil\u{202E}txt"), "evil\\u{202e}txt")
        XCTAssertEqual(UntrustedText.escaped("tab\there\nnext\\"), "tab\\there\\nnext\\\\")
        XCTAssertEqual(UntrustedText.escaped("héllo 👍🏽"), "héllo 👍🏽", "printable text is kept")
    }

    func testLongTextIsCutWithAnEllipsis() {
        XCTAssertEqual(UntrustedText.escaped(String(repeating: "x", count: 1000), limit: 5), "xxxxx…")
        XCTAssertEqual(UntrustedText.escaped("short", limit: 5), "short")
    }

    func testAWrongTypedValueIsSummarizedNotDumped() {
        var m = GGUFMetadata(source: "m.gguf")
        let binary = String(decoding: (0..<600).map { UInt8($0 % 256) }, as: UTF8.self)
        m.set("llama.block_count", .string(binary))
        XCTAssertThrowsError(try m.int("llama.block_count")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("m.gguf: metadata 'llama.block_count': expected an integer, found string \""), text)
            XCTAssertLessThan(text.count, 400, "a short excerpt, not the whole value")
            XCTAssertFalse(text.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) }, text)
        }
    }

    func testAGGUFErrorNeverCarriesRawControlBytes() {
        let e = GGUFError(file: "m.gguf", field: "metadata 'key\u{1B}]0;owned\u{7}'", problem: String(repeating: "\u{1}", count: 5000))
        XCTAssertFalse(e.description.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) })
        XCTAssertLessThan(e.description.count, 2500)
    }
}
