import XCTest
@testable import PagodaTUI

final class LayoutTests: XCTestCase {
    func testSizes() {
        let wide = Layout(state: Fixtures.state(width: 120, height: 40))
        XCTAssertTrue(wide.showsStats)
        XCTAssertEqual(wide.stats.width, Layout.statsWidth)
        XCTAssertEqual(wide.transcript.width + 1 + wide.stats.width, 120)
        XCTAssertEqual(wide.input.y + wide.input.height, 40)

        let small = Layout(state: Fixtures.state(width: 80, height: 24))
        XCTAssertFalse(small.showsStats, "hidden by default below 100 columns")
        XCTAssertEqual(small.transcript.width, 80)
        XCTAssertEqual(small.transcript.height, 24 - 3)

        var asked = Fixtures.state(width: 80, height: 24)
        asked.statsVisible = true
        XCTAssertTrue(Layout(state: asked).showsStats)

        XCTAssertTrue(Layout(state: Fixtures.state(width: 30, height: 24)).tooSmall)
        XCTAssertTrue(Layout(state: Fixtures.state(width: 80, height: 5)).tooSmall)
    }

    func testInputGrowsUpToFiveLines() {
        var s = Fixtures.state(width: 80, height: 24)
        s.input.insert("1\n2\n3\n4\n5\n6\n7")
        XCTAssertEqual(Layout(state: s).input.height, 5)
    }

    func testTooSmallScreenAsksToEnlarge() {
        let screen = RootView.render(Fixtures.state(width: 30, height: 5))
        XCTAssertTrue(screen.row(0).hasPrefix("Please enlarge the terminal"))
    }
}
