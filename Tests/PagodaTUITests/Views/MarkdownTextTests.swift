import XCTest
@testable import PagodaTUI

final class MarkdownTextTests: XCTestCase {
    func text(_ lines: [MarkdownText.Line]) -> [String] { lines.map { $0.map(\.text).joined() } }

    func testCodeBlocksAreFramedAndKeepTheirSpacing() {
        let reply = "Here:\n```python\ndef f(x):\n    return x  # a comment long enough to break\n```\nDone."
        let lines = MarkdownText.lines(reply, width: 30)
        XCTAssertEqual(text(lines), [
            "Here:",
            "┌─ python",
            "│ def f(x):",
            "│     return x  # a comment lo",
            "│ ng enough to break",
            "└────────────────────",
            "Done.",
        ])
        XCTAssertEqual(lines[3][1].style, MarkdownText.codeStyle, "code keeps its colour")
        XCTAssertEqual(lines[3][0].style, MarkdownText.frameStyle)
    }

    func testAnUnclosedFenceWhileStreamingIsCodeToTheEnd() {
        XCTAssertEqual(text(MarkdownText.lines("```\nlet a = 1", width: 40)), ["┌─ code", "│ let a = 1"])
    }

    func testBoldInlineCodeHeadingsListsQuotesAndRules() {
        let lines = MarkdownText.lines("# Title\nUse **bold** and `x = 1`, not **half.\n- one item that wraps onto the next line\n2. second\n> quoted\n---", width: 24)
        XCTAssertEqual(text(lines), [
            "Title",
            "Use bold and x = 1, not",
            "**half.",
            "• one item that wraps",
            "  onto the next line",
            "2. second",
            "▌ quoted",
            "────────────────────────",
        ])
        XCTAssertTrue(lines[0][0].style.bold)
        let use = lines[1]
        XCTAssertEqual(use.map(\.text), ["Use ", "bold", " and ", "x = 1", ", not"])
        XCTAssertTrue(use[1].style.bold)
        XCTAssertEqual(use[3].style, MarkdownText.codeStyle)
        XCTAssertFalse(use[4].style.bold, "an unpaired ** is left as typed")
    }

    /// The transcript shows the layout; the entry keeps the raw text.
    func testTheTranscriptRendersRepliesButKeepsTheirText() {
        var s = Fixtures.state(width: 80, height: 20)
        s.current.entries = [TranscriptEntry(.user, "**not** markdown from me"), TranscriptEntry(.assistant, "**Yes**: `ok`")]
        let screen = RootView.render(s)
        XCTAssertTrue(screen.text.contains("you › **not** markdown from me"))
        XCTAssertTrue(screen.text.contains("ai  › Yes: ok"), screen.text)
        XCTAssertEqual(s.current.entries[1].text, "**Yes**: `ok`")
        XCTAssertEqual(s.current.messages.last?.content, "**Yes**: `ok`")
    }
}
