import PagodaEngine
import XCTest
@testable import PagodaTUI

/// The pane over a remote server: what it is and where its figures come from, each figure
/// it exposes and nothing for one it does not, and the last turn's cached tokens.
final class ServerStatsViewTests: XCTestCase {
    static let remoteModel = ModelInfo(name: "Qwen/Qwen3-0.6B", architecture: "remote", weightTypes: [], threads: 0, contextLength: 40960)

    func testVLLMFiguresInThePane() {
        var s = AppState(width: 120, height: 40, model: Self.remoteModel, systemPrompt: nil)
        var r = ServerReport(kind: .vllm, address: "gpu:8000", source: "/metrics")
        r.kvUsage = 0.4375
        r.kvBlocks = 27000
        r.blockTokens = 16
        r.prefixQueries = 2048
        r.prefixHits = 512
        r.prefixHitRate = 0.25
        r.running = 3
        r.waiting = 1
        _ = update(&s, .serverReport(r))
        var stats = GenerationStats()
        stats.promptTokens = 40
        stats.reusedPromptTokens = 16
        stats.generatedTokens = 8
        s.current.lastStats = stats
        s.current.contextTokens = 47
        let text = RootView.render(s).text
        XCTAssertTrue(text.contains("vLLM at gpu:8000"), text)
        XCTAssertTrue(text.contains("from /metrics"), text)
        XCTAssertTrue(text.contains("KV [" + String(repeating: "█", count: 7) + String(repeating: "·", count: 9) + "] 43.8% used"), text)
        XCTAssertTrue(text.contains("27000 blocks × 16 tokens"), text)
        XCTAssertTrue(text.contains("prefix hits 25.0% · 512 of 2048 tokens"), text)
        XCTAssertTrue(text.contains("3 running · 1 waiting"), text)
        XCTAssertTrue(text.contains("47/40960"), "the conversation's context against the server's")
        XCTAssertTrue(text.contains("prompt 40 tokens: 24 computed"), text)
        XCTAssertTrue(text.contains("16 cached on the server"), text)
        XCTAssertFalse(text.contains("KV POOL"), "no block map where the server gives none")
        XCTAssertFalse(text.contains("threads"), "no local facts for a remote model")
    }

    /// A plain server: only the source line, and a reading that failed says why.
    func testAPlainServerSaysWhatIsShown() {
        var s = AppState(width: 120, height: 40, model: ModelInfo(name: "m", architecture: "remote", weightTypes: [], threads: 0, contextLength: 0),
                         systemPrompt: nil)
        var r = ServerReport(kind: .openAI, address: "box:9000", source: "each reply's usage")
        r.problem = "cannot reach http://box:9000/v1/models: connection refused (is the server running?)"
        _ = update(&s, .serverReport(r))
        let text = RootView.render(s).text
        XCTAssertTrue(text.contains("OpenAI-compatible server at box:9000"), text)
        XCTAssertTrue(text.contains("from each reply's usage"), text)
        XCTAssertTrue(text.contains("cannot reach http://box:9000"), text)
        XCTAssertTrue(text.contains("0 tokens of context"), "no context length known: no meter")
        XCTAssertFalse(text.contains("% used"), text)
    }

    /// `pagoda serve`: the server's own block map under its figures.
    func testPagodaServeShowsTheBlockMap() {
        var s = AppState(width: 120, height: 40, model: Self.remoteModel, systemPrompt: nil)
        _ = update(&s, .serverReport(ServerReport(kind: .pagoda, address: "127.0.0.1:8080", source: "/v1/kv, /metrics")))
        _ = update(&s, .kvChanged(Fixtures.snapshot(blocks: 20, owners: [0: [SequenceID(raw: 5)]], cached: [1, 2])))
        let text = RootView.render(s).text
        XCTAssertTrue(text.contains("KV POOL (the server's)"), text)
        XCTAssertTrue(text.contains("20 blocks: 1 used, 2 cached, 17 free"), text)
        XCTAssertTrue(text.contains("resent in full each turn"), text)
    }

    /// While a reply streams from `pagoda serve`, the blocks of the sequence holding it are
    /// drawn in the conversation's colour and every other request's in white; once it ends,
    /// all are white.
    func testTheReplysOwnBlocksAreMarkedOnTheServersMap() throws {
        var s = AppState(width: 120, height: 40, model: Self.remoteModel, systemPrompt: nil)
        var report = ServerReport(kind: .pagoda, address: "127.0.0.1:8080", source: "/v1/kv, /metrics")
        let mine = SequenceID(raw: 7), theirs = SequenceID(raw: 3)
        report.replySequence = mine
        _ = update(&s, .serverReport(report))
        // Blocks 0–1 another request's, 2–3 the reply's (2 shared with the other: a prefix hit).
        _ = update(&s, .kvChanged(Fixtures.snapshot(blocks: 20, owners: [0: [theirs], 1: [theirs], 2: [theirs, mine], 3: [mine]])))
        s.generation = ActiveGeneration(id: 1, conversation: 1)
        var screen = RootView.render(s)
        let row = try XCTUnwrap((0..<screen.height).first { screen.row($0).contains("█▓█") })
        let x = try XCTUnwrap((0..<screen.width).first { screen[$0, row].character == "█" })
        XCTAssertEqual((0..<4).map { screen[x + $0, row].style.foreground }, [.white, .white, BlockMapView.ownerColors[0], BlockMapView.ownerColors[0]])
        XCTAssertTrue(screen.text.contains("■ this reply (#7) ■ other requests"), screen.text)

        s.generation = nil
        screen = RootView.render(s)
        XCTAssertEqual((0..<4).map { screen[x + $0, row].style.foreground }, [.white, .white, .white, .white], "no reply streams")
        XCTAssertFalse(screen.text.contains("this reply"), screen.text)
    }
}
