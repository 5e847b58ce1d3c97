import PagodaEngine
import XCTest
@testable import PagodaTUI

final class ViewTests: XCTestCase {
    func testTranscriptWrapsAndMarksSpeakers() {
        var s = Fixtures.state(width: 60, height: 12)
        s.current.entries = [
            TranscriptEntry(.user, "Hello there"),
            TranscriptEntry(.assistant, "A reply long enough to wrap onto a second line of the narrow pane."),
        ]
        let text = RootView.render(s).text
        XCTAssertTrue(text.contains("you › Hello there"))
        XCTAssertTrue(text.contains("ai  › A reply long enough"))
        XCTAssertTrue(text.contains("\n      narrow pane."), text)
    }

    func testBlockMapShowsOwnersSharedPartialCachedAndFree() {
        var s = Fixtures.state(width: 120, height: 40)
        let a = SequenceID(raw: 0), b = SequenceID(raw: 1)
        s.conversations[0].sequence = a
        s.conversations.append(Conversation(number: 2, systemPrompt: nil))
        s.conversations[1].sequence = b
        // Blocks 0–1 shared by both, 2 A's partial, 3 B's full, 4 cached free, 5… free.
        s.kv = Fixtures.snapshot(blocks: 20, owners: [0: [a, b], 1: [a, b], 2: [a], 3: [b]], fills: [2: 5], cached: [4])
        let screen = RootView.render(s)
        let layout = Layout(state: s)
        // The map starts on the pane's 10th row (after the model and pool lines).
        let y = layout.stats.y + 9, x = layout.stats.x + 1
        XCTAssertEqual((0..<6).map { screen[x + $0, y].character! }, ["▓", "▓", "▌", "█", "○", "·"])
        XCTAssertEqual(screen[x, y].style.foreground, BlockMapView.ownerColors[0])
        XCTAssertEqual(screen[x + 3, y].style.foreground, BlockMapView.ownerColors[1], "B's block in B's colour")
        XCTAssertTrue(screen.text.contains("20 blocks: 4 used, 1 cached, 15 free"))
        XCTAssertTrue(screen.text.contains("block table (its block → pool block):\n"), screen.text)
        XCTAssertTrue(screen.text.contains("│ 0→0 1→1 2→2"), screen.text)
        XCTAssertTrue(screen.text.contains("3 blocks · 0.0 MiB · 2 shared"), screen.text)
        // The key: each conversation's number in its colour, the one shown in reverse.
        let keyRow = try! XCTUnwrap((0..<screen.height).first { screen.row($0).contains("colours ■1 ■2") })
        let one = try! XCTUnwrap((0..<screen.width).first { screen[$0, keyRow].character == "■" })
        XCTAssertEqual(screen[one, keyRow].style.foreground, BlockMapView.ownerColors[0])
        XCTAssertTrue(screen[one, keyRow].style.reverse, "the conversation shown is highlighted")
        XCTAssertEqual(screen[one + 3, keyRow].style.foreground, BlockMapView.ownerColors[1])
        XCTAssertFalse(screen[one + 3, keyRow].style.reverse)
    }

    /// While a reply streams the pane counts it live; the last turn's prompt is split into
    /// computed, kept in its own cache and found in the prefix cache; memory is measured.
    func testThePaneExplainsTheTurnAndTheMemory() {
        var s = Fixtures.state(width: 120, height: 50)
        let a = SequenceID(raw: 0)
        s.conversations[0].sequence = a
        s.kv = Fixtures.snapshot(blocks: 20, owners: [0: [a], 1: [a]])
        s.residentBytes = 300 << 20
        s.generation = ActiveGeneration(id: 1, conversation: 1, tokensOut: 41, decodeSeconds: 2)
        var stats = GenerationStats()
        stats.promptTokens = 100
        stats.reusedPromptTokens = 80
        stats.prefixCacheHitTokens = 32
        stats.prefixCacheHitBlocks = 2
        s.conversations[0].lastStats = stats
        let text = RootView.render(s).text
        XCTAssertTrue(text.contains("process 300.0 MiB resident"), text)
        XCTAssertTrue(text.contains("NOW"), text)
        XCTAssertTrue(text.contains("41 tokens out · 20.0 t/s"), text)
        XCTAssertTrue(text.contains("prompt 100 tokens: 20 computed"), text)
        XCTAssertTrue(text.contains("48 already in its own cache"), text)
        XCTAssertTrue(text.contains("32 prefix-cache hits (2 blocks)"), text)
        XCTAssertTrue(text.contains("2 blocks · 0.0 MiB"), text)
        XCTAssertTrue(text.contains("288 more tokens fit"), "18 free blocks of 16: \(text)")
    }

    func testThePaneSaysWhenThePoolIsSmallerThanTheContext() {
        var s = Fixtures.state()
        s.kv = Fixtures.snapshot(blocks: 20)  // 320 tokens, the model's context is 8192
        XCTAssertTrue(RootView.render(s).text.contains("pool 320 tokens < context 8192"))
        s.kv = Fixtures.snapshot(blocks: 600)  // 9600 tokens
        XCTAssertFalse(RootView.render(s).text.contains("< context"))
    }

    func testLargePoolsGroupBlocksPerCell() {
        XCTAssertEqual(BlockMapView.blocksPerCell(728, width: 38, height: 8), 3)
        XCTAssertEqual(BlockMapView.blocksPerCell(100, width: 38, height: 8), 1)
        var s = Fixtures.state(width: 120, height: 40)
        s.kv = Fixtures.snapshot(blocks: 2000)
        XCTAssertTrue(RootView.render(s).text.contains("one cell = "))
    }

    func testTitleShowsPromptProgressAndGeneration() {
        var s = Fixtures.state()
        s.generation = ActiveGeneration(id: 1, conversation: 1, promptDone: 64, promptTotal: 300)
        XCTAssertTrue(RootView.render(s).row(0).contains("reading prompt 64/300"))
        s.generation?.promptDone = 300
        XCTAssertTrue(RootView.render(s).row(0).contains("generating"))
    }

    func testWrapBreaksAtSpacesAndInsideLongWords() {
        XCTAssertEqual(TextWrap.wrap("aaa bbb ccc", width: 7), ["aaa bbb", "ccc"])
        XCTAssertEqual(TextWrap.wrap("abcdefghij", width: 4), ["abcd", "efgh", "ij"])
        XCTAssertEqual(TextWrap.wrap("a\n\nb", width: 5), ["a", "", "b"])
        XCTAssertEqual(TextWrap.wrap("東京東京", width: 5), ["東京", "東京"])
    }
}
