import XCTest
@testable import PagodaTUI

final class ScreenBufferTests: XCTestCase {
    func testPutClipsToTheScreen() {
        var screen = ScreenBuffer(width: 5, height: 2)
        screen.put("hello world", x: 1, y: 0)
        screen.put("ab", x: -1, y: 1)
        screen.put("zz", x: 0, y: 2)
        XCTAssertEqual(screen.row(0), " hell")
        XCTAssertEqual(screen.row(1), "b    ")
        XCTAssertEqual(screen[9, 9], " ")
    }
}
