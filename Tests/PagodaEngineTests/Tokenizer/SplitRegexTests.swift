import XCTest
@testable import PagodaEngine

final class SplitRegexTests: XCTestCase {
    func pieces(_ pattern: String, _ text: String) throws -> [String] {
        let regex = try SplitRegex(pattern)
        let cps = Array(text.unicodeScalars.map(\.value))
        var lengths: [Int] = []
        regex.split(cps, 0..<cps.count, into: &lengths)
        var out: [String] = []
        var start = 0
        for n in lengths {
            out.append(String(String.UnicodeScalarView(cps[start..<(start + n)].map { Unicode.Scalar($0)! })))
            start += n
        }
        return out
    }

    func testMatchesAndGapsAreBothKept() throws {
        XCTAssertEqual(try pieces(#"\p{N}"#, "ab12c3"), ["ab", "1", "2", "c", "3"])
        XCTAssertEqual(try pieces("[0-9][0-9][0-9]", "12345678"), ["123", "456", "78"])
    }

    func testLookaheadAndAnchors() throws {
        XCTAssertEqual(try pieces(#"\s+(?!\S)|\p{L}+"#, "a   b  "), ["a", "  ", " ", "b", "  "])
        XCTAssertEqual(try pieces(#"\s+$"#, "a  b  "), ["a  b", "  "])
    }

    func testClassesAndQuantifiers() throws {
        XCTAssertEqual(try pieces(#"[^\s\p{L}]+"#, "héllo, wörld!!"), ["héllo", ",", " wörld", "!!"])
        XCTAssertEqual(try pieces(#"\p{N}{1,3}"#, "1234567"), ["123", "456", "7"])
        XCTAssertEqual(try pieces(#"(?:'s|'t)|x"#, "it's xx"), ["it", "'s", " ", "x", "x"])
    }

    func testBadPatternsAreErrors() {
        XCTAssertThrowsError(try SplitRegex("[abc"))
        XCTAssertThrowsError(try SplitRegex("(ab"))
        XCTAssertThrowsError(try SplitRegex(#"\p{Xyz}"#))
        XCTAssertThrowsError(try SplitRegex("[z-a]"))
    }
}
