import Foundation
import Logging
import PagodaEngine
import PagodaServer
import PagodaTestSupport
import PagodaTUI
import XCTest
@testable import PagodaRemote

/// The chat's remote backend against a real `pagoda serve` on loopback, over SmolLM2: the
/// same reply as the engine gives directly, the server's block map and figures, the prefix
/// cache seen in the turn's numbers, Esc, and every failure said in one line.
final class RemoteBackendTests: XCTestCase {
    /// A server on a free loopback port for one test.
    struct Served {
        let engine: Engine
        let url: String
        let task: Task<Void, any Error>
    }

    func serve(apiKey: String? = nil) async throws -> Served {
        var engineOptions = EngineOptions()
        engineOptions.threads = 2
        let engine = try Engine(file: RealModels.file(.smolLM2), options: engineOptions)
        var options = ServerOptions()
        options.host = "127.0.0.1"
        options.port = 0
        options.apiKey = apiKey
        var logger = Logger(label: "pagoda.serve.test")
        logger.logLevel = .critical
        let server = OpenAIServer(engine: engine, options: options, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run(handlingSignals: false) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return Served(engine: engine, url: "http://127.0.0.1:\(port)/v1", task: task)
    }

    static func greedy(_ maxTokens: Int) -> ChatSettings {
        var settings = ChatSettings()
        settings.sampling.temperature = 0
        settings.maxTokens = maxTokens
        return settings
    }

    static func collect(_ stream: AsyncStream<GenerationEvent>) async -> (text: String, reason: FinishReason?, stats: GenerationStats?, events: [GenerationEvent]) {
        var text = "", reason: FinishReason?, stats: GenerationStats?, events: [GenerationEvent] = []
        for await event in stream {
            events.append(event)
            switch event {
            case .text(let piece): text += piece
            case .finished(let r, let s): reason = r; stats = s
            default: break
            }
        }
        return (text, reason, stats, events)
    }

    func testRepliesAsTheEngineDoesAndShowsTheServersCache() async throws {
        let served = try await serve()
        defer { served.task.cancel() }
        let backend = try await RemoteBackend.connect(url: served.url, apiKey: nil, model: nil)
        XCTAssertEqual(backend.model.fileName + ".gguf", served.engine.facts.fileName, "the model the server lists")
        XCTAssertEqual(backend.model.contextLength, served.engine.facts.contextLength)
        XCTAssertFalse(backend.keepsSequences)
        XCTAssertTrue(backend.startNotices.first?.hasPrefix("replies come from pagoda serve at 127.0.0.1:") ?? false, "\(backend.startNotices)")

        let messages = [ChatMessage(.system, "You are a helpful assistant who answers in one short sentence, always politely."),
                        ChatMessage(.user, "What is the capital of France?")]
        let remote = await Self.collect(backend.generate(ReplyRequest(sequence: nil, messages: messages, settings: Self.greedy(12)), stop: StopSignal()))
        // The engine, asked directly for the same greedy reply.
        var direct = Engine.Request(sequence: served.engine.createConversation(), input: .messages(messages))
        direct.sampling.temperature = 0
        direct.maxTokens = 12
        let local = await Self.collect(served.engine.generate(direct))
        XCTAssertFalse(remote.text.isEmpty)
        XCTAssertEqual(remote.text, local.text, "the same tokens through the server")
        XCTAssertEqual(remote.reason, local.reason)
        let stats = try XCTUnwrap(remote.stats)
        XCTAssertEqual(stats.promptTokens, local.stats?.promptTokens)
        XCTAssertEqual(stats.generatedTokens, local.stats?.generatedTokens)
        XCTAssertGreaterThan(stats.timeToFirstTokenSeconds, 0)
        XCTAssertTrue(remote.events.contains { if case .decoded(let n, _) = $0 { n >= 1 } else { false } }, "live counts while it streams")

        // A second turn on the same system prompt finds it in the server's prefix cache.
        let again = await Self.collect(backend.generate(ReplyRequest(sequence: nil, messages: [messages[0], ChatMessage(.user, "And of Spain?")],
                                                                     settings: Self.greedy(4)), stop: StopSignal()))
        XCTAssertGreaterThanOrEqual(again.stats?.reusedPromptTokens ?? 0, 16, "the system prompt's blocks were cached")

        // The pane's feed: the server's block map, then its figures.
        var sawKV: KVCacheSnapshot?, sawReport: ServerReport?
        for await report in backend.reports() {
            switch report {
            case .kv(let kv): sawKV = kv
            case .server(let r): sawReport = r
            }
            if sawKV != nil && sawReport != nil { break }
        }
        let kv = try XCTUnwrap(sawKV)
        XCTAssertEqual(kv.totalBlocks, served.engine.kvSnapshot().totalBlocks)
        XCTAssertGreaterThan(kv.cachedFreeBlocks, 0, "the finished requests' blocks stay cached")
        let report = try XCTUnwrap(sawReport)
        XCTAssertEqual(report.kind, .pagoda)
        XCTAssertEqual(report.kvBlocks, kv.totalBlocks)
        XCTAssertGreaterThan(report.prefixHitRate ?? 0, 0)
        XCTAssertNil(report.problem)
    }

    /// While a reply streams, the readings name the server's sequence holding it: the one
    /// `/v1/kv` gives the request, with blocks in the map; after the reply, none.
    func testTheReadingsNameTheSequenceHoldingTheReply() async throws {
        let served = try await serve()
        defer { served.task.cancel() }
        let backend = try await RemoteBackend.connect(url: served.url, apiKey: nil, model: nil)
        let stop = StopSignal()
        var reply: SequenceID?, map: KVCacheSnapshot?
        for await event in backend.generate(ReplyRequest(sequence: nil, messages: [ChatMessage(.user, "Write a long story about owls.")],
                                                         settings: Self.greedy(2000)), stop: stop) {
            guard case .text = event, reply == nil else { continue }
            readings: for await report in backend.reports() {
                switch report {
                case .kv(let kv): map = kv
                case .server(let r):
                    reply = r.replySequence
                    break readings
                }
            }
            stop.stop()
        }
        let sequence = try XCTUnwrap(reply, "a reading during the reply names its sequence")
        XCTAssertFalse(map?.sequences.first { $0.id == sequence }?.table.isEmpty ?? true, "the sequence holds blocks in the map")

        for await report in backend.reports() {
            if case .server(let r) = report {
                XCTAssertNil(r.replySequence, "no reply streams")
                break
            }
        }
    }

    /// Esc mid-reply: the reply ends as stopped, and the server frees the request's blocks.
    func testStopCancelsTheRequestAndTheServerFreesItsBlocks() async throws {
        let served = try await serve()
        defer { served.task.cancel() }
        let backend = try await RemoteBackend.connect(url: served.url, apiKey: nil, model: nil)
        let stop = StopSignal()
        var pieces = 0
        var reason: FinishReason?
        for await event in backend.generate(ReplyRequest(sequence: nil, messages: [ChatMessage(.user, "Write a long story about owls.")],
                                                         settings: Self.greedy(2000)), stop: stop) {
            if case .text = event {
                pieces += 1
                if pieces == 3 { stop.stop() }
            }
            if case .finished(let r, _) = event { reason = r }
        }
        XCTAssertEqual(reason, .cancelled)
        let deadline = Date().addingTimeInterval(10)
        while served.engine.kvSnapshot().usedBlocks > 0 && Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        XCTAssertEqual(served.engine.kvSnapshot().usedBlocks, 0, "the dropped connection freed the request's blocks")
        XCTAssertEqual(served.engine.counters().running, 0)
    }

    /// Each failure is one `.failed` line naming the problem; no throw, no hang.
    func testFailuresAreSaidInTheConversation() async throws {
        let served = try await serve(apiKey: "sesame")
        defer { served.task.cancel() }
        let user = [ChatMessage(.user, "Hi")]
        func failure(_ backend: RemoteBackend, _ settings: ChatSettings = RemoteBackendTests.greedy(4), _ messages: [ChatMessage] = user) async -> String {
            let result = await Self.collect(backend.generate(ReplyRequest(sequence: nil, messages: messages, settings: settings), stop: StopSignal()))
            if case .failed(let message) = result.reason { return message }
            return "not a failure: \(String(describing: result.reason))"
        }

        let noKey = try await RemoteBackend.connect(url: served.url, apiKey: nil, model: served.engine.facts.fileName)
        let refused = await failure(noKey)
        XCTAssertTrue(refused.hasPrefix("the server refused the request (401)") && refused.hasSuffix("give its key with --api-key"), refused)

        let keyed = try await RemoteBackend.connect(url: served.url, apiKey: "sesame", model: "no-such-model")
        XCTAssertTrue(keyed.startProblems.contains { $0.contains("does not list a model 'no-such-model'") }, "\(keyed.startProblems)")
        let missing = await failure(keyed)
        XCTAssertTrue(missing.hasPrefix("model 'no-such-model' not found (404)"), missing)

        let good = try await RemoteBackend.connect(url: served.url, apiKey: "sesame", model: nil)
        var tooLong = Self.greedy(4)
        tooLong.maxTokens = served.engine.facts.contextLength + 1
        let long = await failure(good, tooLong)
        XCTAssertTrue(long.hasPrefix("the server answered 400") && long.contains("context"), long)

        // A port nobody listens on: the chat still opens, says why, and each turn says it again.
        served.task.cancel()
        try await Task.sleep(nanoseconds: 300_000_000)
        let gone = try await RemoteBackend.connect(url: served.url, apiKey: "sesame", model: nil)
        XCTAssertTrue(gone.startProblems.contains { $0.hasPrefix("cannot reach http://127.0.0.1:") }, "\(gone.startProblems)")
        let unreachable = await failure(gone)
        XCTAssertTrue(unreachable.hasPrefix("cannot reach http://127.0.0.1:"), unreachable)
    }
}
