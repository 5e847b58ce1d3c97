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
}
