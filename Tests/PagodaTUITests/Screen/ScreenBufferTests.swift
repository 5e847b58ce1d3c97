import XCTest
@testable import PagodaTUI

final class ScreenBufferTests: XCTestCase {
    func testPutClipsAndReturnsTheNextColumn() {
        var screen = ScreenBuffer(width: 5, height: 2)
        XCTAssertEqual(screen.put("hello world", x: 1, y: 0), 5)
        screen.put("ab", x: -1, y: 1)
        screen.put("zz", x: 0, y: 2)
        XCTAssertEqual(screen.row(0), " hel…", "cut text ends in an ellipsis")
        XCTAssertEqual(screen.row(1), "b    ")
        XCTAssertEqual(screen[9, 9].character, " ")
    }

    func testWideCharactersTakeTwoCells() {
        var screen = ScreenBuffer(width: 6, height: 1)
        screen.put("東京x", x: 0, y: 0, style: .bold)
        XCTAssertEqual(screen[0, 0].character, "東")
        XCTAssertNil(screen[1, 0].character)
        XCTAssertEqual(screen[2, 0].character, "京")
        XCTAssertEqual(screen[4, 0].character, "x")
        XCTAssertEqual(screen[4, 0].style, .bold)
        XCTAssertEqual(screen.row(0), "東京x ")
        screen.put("日本", x: 4, y: 0)
        XCTAssertEqual(screen[4, 0].character, "…", "本 does not fit, so 日 gives its place to the ellipsis")
        XCTAssertEqual(screen[5, 0].character, " ", "no half of a wide character is left")
        screen.put("日", x: 4, y: 0)
        XCTAssertEqual(screen[4, 0].character, "日", "what fits is drawn whole")
    }

    /// "👍🏽 한국어 👨‍👩‍👧" takes the columns ncurses gives it; text written over part of a wide
    /// character leaves no orphaned half, which the terminal would draw as a stray glyph.
    func testEmojiSequencesKeepTheCellsConsistent() {
        var screen = ScreenBuffer(width: 24, height: 1)
        XCTAssertEqual(screen.put("|👍🏽 한국어 👨‍👩‍👧|", x: 0, y: 0), 20)
        XCTAssertEqual(screen[19, 0].character, "|", "the border after the text is where the terminal draws it")
        XCTAssertEqual(screen.row(0), "|👍🏽 한국어 👨‍👩‍👧|    ")
        screen.put("x", x: 15, y: 0)  // inside the family emoji, which takes columns 13–18
        XCTAssertEqual((13...19).map { screen[$0, 0].character }, [" ", " ", "x", " ", " ", " ", "|"], "the character written into is blanked whole")
        screen.fill(x: 2, y: 0, width: 1, height: 1)  // inside 👍🏽, columns 1–4
        XCTAssertEqual((1...5).map { screen[$0, 0].character }, [" ", " ", " ", " ", " "])
        for x in 0..<screen.width {
            if screen[x, 0].character == nil { XCTAssertNotNil(screen[x - 1, 0].character, "a continuation at \(x) follows its character") }
        }
    }

    func testDisplayWidths() {
        XCTAssertEqual(displayWidth("a"), 1)
        XCTAssertEqual(displayWidth("é"), 1)
        XCTAssertEqual(displayWidth("東"), 2)
        XCTAssertEqual(displayWidth("🙂"), 2)
        XCTAssertEqual(displayWidth("naïve 東京"), 10)
    }
}
