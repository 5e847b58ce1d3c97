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

    /// At 40×12 the title keeps its F2 hint whole (the model name gives way, with an
    /// ellipsis), and F2 shows the stats pane in the transcript's place, F2 again hides it.
    func testANarrowTerminalKeepsTheHeaderAndF2Works() {
        var s = Fixtures.state(width: 40, height: 12)
        s.model.name = "Smollm2 135M 8k Lc100K Mix1 Ep2 Instruct"
        let header = Fixtures.draw(&s).row(0)
        XCTAssertTrue(header.hasSuffix(" F2 stats "), header)
        XCTAssertTrue(header.contains("…"), "the model name is cut visibly: \(header)")
        XCTAssertTrue(header.contains("conversation 1"), header)
        _ = update(&s, .key(.function(2)))
        let layout = Layout(state: s)
        XCTAssertTrue(layout.showsStats && layout.statsCoverTranscript)
        let screen = Fixtures.draw(&s)
        XCTAssertTrue(screen.text.contains("MODEL"), screen.text)
        XCTAssertTrue(screen.row(0).hasSuffix(" F2 hide stats "), screen.row(0))
        _ = update(&s, .key(.function(2)))
        XCTAssertFalse(Layout(state: s).showsStats)
        XCTAssertTrue(RootView.render(s).text.contains("Type a message"))
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
