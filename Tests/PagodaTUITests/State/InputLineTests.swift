import XCTest
@testable import PagodaTUI

final class InputLineTests: XCTestCase {
    func testEditingKeys() {
        var line = InputLine()
        line.insert("hello world")
        line.moveLeft(); line.moveLeft()
        line.insert("X")
        XCTAssertEqual(line.text, "hello worXld")
        line.moveToStart(); line.deleteForward()
        XCTAssertEqual(line.text, "ello worXld")
        line.moveToEnd(); line.deleteWordBack()
        XCTAssertEqual(line.text, "ello ")
        line.insert("there"); line.moveToStart(); line.moveRight(); line.killToEnd()
        XCTAssertEqual(line.text, "e")
        line.insert("abc"); line.killToStart()
        XCTAssertEqual(line.text, "")
    }

    func testHistoryKeepsTheDraft() {
        var line = InputLine()
        line.insert("first"); _ = line.submit()
        line.insert("second"); _ = line.submit()
        line.insert("draft")
        line.historyBack()
        XCTAssertEqual(line.text, "second")
        line.historyBack(); line.historyBack()
        XCTAssertEqual(line.text, "first")
        line.historyForward(); line.historyForward()
        XCTAssertEqual(line.text, "draft")
    }

    func testPastedControlCharactersAreMadeHarmless() {
        var line = InputLine()
        line.insert("a\u{1B}[31mb\tc\r\nd\u{7}")
        XCTAssertEqual(line.text, "a [31mb c\nd ")
    }

    /// Keys arrive a scalar at a time; the line edits whole characters: Left×3 from the end
    /// of "👍🏽 한국어 👨‍👩‍👧" stands before "어", and Backspace deletes "국".
    func testEditingWorksOnWholeCharacters() {
        var line = InputLine()
        for scalar in "👍🏽 한국어 👨‍👩‍👧".unicodeScalars { line.insert(String(scalar)) }
        XCTAssertEqual(line.characters.count, 7)
        XCTAssertEqual(line.cursor, 7)
        line.moveLeft(); line.moveLeft(); line.moveLeft()
        line.backspace()
        XCTAssertEqual(line.text, "👍🏽 한어 👨‍👩‍👧")
        line.moveToEnd(); line.backspace()
        XCTAssertEqual(line.text, "👍🏽 한어 ", "the family goes at once")
        line.moveToStart(); line.insert("e"); line.insert("\u{301}")
        XCTAssertEqual(line.characters.first, "é")
        XCTAssertEqual(line.cursor, 1, "the accent joins the e before the cursor")
    }

    /// The input view lays the line out in the same columns the screen uses.
    func testCursorColumnCountsWideCharacters() {
        var line = InputLine()
        line.insert("한👍🏽x")
        line.moveLeft()
        XCTAssertEqual(InputView.layout(line, width: 40).cursor.column, 6)
    }
}
