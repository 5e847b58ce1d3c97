import Foundation
import XCTest
@testable import PagodaServer

/// The OpenAI endpoints over loopback with a real HTTP client: whole and streamed replies,
/// usage and cached tokens, blocks shared between concurrent requests, a disconnect freeing
/// its blocks, a pool too small for all requests at once.
final class CompletionEndpointTests: XCTestCase {
    let question: [String: Any] = ["role": "user", "content": "What is the capital of France?"]
    /// Long enough to fill several 16-token blocks.
    let system: [String: Any] = ["role": "system", "content": String(repeating: "You are a careful assistant who answers in one short sentence. ", count: 4)]

    func testAWholeReplyHasItsUsageAndTheStreamedOneTheSameText() async throws {
        let server = try await ServerHarness.start()
        defer { server.stop() }
        let r = try await server.post("/v1/chat/completions", ["messages": [question], "max_tokens": 12, "temperature": 0])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.json["object"] as? String, "chat.completion")
        let choice = try XCTUnwrap((r.json["choices"] as? [[String: Any]])?.first)
        let message = try XCTUnwrap(choice["message"] as? [String: Any])
        XCTAssertEqual(message["role"] as? String, "assistant")
        let content = try XCTUnwrap(message["content"] as? String)
        XCTAssertFalse(content.isEmpty)
        XCTAssertTrue(["stop", "length"].contains(choice["finish_reason"] as? String ?? ""))
        let usage = try XCTUnwrap(r.json["usage"] as? [String: Any])
        let prompt = try XCTUnwrap(usage["prompt_tokens"] as? Int), completion = try XCTUnwrap(usage["completion_tokens"] as? Int)
        XCTAssertGreaterThan(prompt, 10)
        XCTAssertTrue((1...12).contains(completion))
        XCTAssertEqual(usage["total_tokens"] as? Int, prompt + completion)
        XCTAssertNotNil((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int)

        let streamed = try await server.stream("/v1/chat/completions", ["messages": [question], "max_tokens": 12, "temperature": 0,
                                                                       "stream": true, "stream_options": ["include_usage": true]])
        XCTAssertEqual(streamed.status, 200)
        XCTAssertEqual(streamed.events.last, "[DONE]")
        XCTAssertEqual(streamed.events.compactMap(deltaContent).joined(), content, "greedy: the same reply streamed")
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(streamed.events[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["object"] as? String, "chat.completion.chunk")
        let usageChunk = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(streamed.events[streamed.events.count - 2].utf8)) as? [String: Any])
        XCTAssertEqual((usageChunk["usage"] as? [String: Any])?["completion_tokens"] as? Int, completion)
        XCTAssertEqual((usageChunk["choices"] as? [Any])?.count, 0)
    }

    func testTextCompletionsAndTheModelList() async throws {
        let server = try await ServerHarness.start()
        defer { server.stop() }
        let r = try await server.post("/v1/completions", ["prompt": "The capital of France is", "max_tokens": 5, "temperature": 0,
                                                          "model": "SmolLM2-135M-Instruct.Q4_1"])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.json["object"] as? String, "text_completion")
        XCTAssertFalse(((r.json["choices"] as? [[String: Any]])?.first?["text"] as? String ?? "").isEmpty)
        let models = try await server.get("/v1/models")
        XCTAssertEqual(((models.json["data"] as? [[String: Any]])?.first?["id"] as? String), "SmolLM2-135M-Instruct.Q4_1")
        let health = try await server.get("/health")
        XCTAssertEqual(health.json["status"] as? String, "ok")
    }

    func testARepeatedSystemPromptIsCachedAndCounted() async throws {
        let server = try await ServerHarness.start()
        defer { server.stop() }
        let body: [String: Any] = ["messages": [system, question], "max_tokens": 4, "temperature": 0]
        let first = try await server.post("/v1/chat/completions", body)
        let again = try await server.post("/v1/chat/completions", body)
        func cached(_ r: ServerHarness.Reply) -> Int? { ((r.json["usage"] as? [String: Any])?["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int }
        XCTAssertEqual(cached(first), 0)
        let hit = try XCTUnwrap(cached(again))
        let prompt = try XCTUnwrap((again.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int)
        XCTAssertGreaterThanOrEqual(hit, 48, "the system prompt's full blocks come from the prefix cache")
        XCTAssertLessThan(hit, prompt, "the last token is always computed")
        let hits = try await server.metric("pagoda_prefix_cache_hit_tokens_total")
        XCTAssertEqual(hits, Double(hit))
    }

    func testConcurrentRequestsShareTheirPromptBlocks() async throws {
        let server = try await ServerHarness.start()
        defer { server.stop() }
        let body = try JSONSerialization.data(withJSONObject: ["messages": [system, question], "max_tokens": 300, "temperature": 0, "stream": true])
        let (started, startedC) = AsyncStream<Void>.makeStream()
        let (release, releaseC) = AsyncStream<Void>.makeStream()
        let gate = Gate(release)
        var firstTokens = started.makeAsyncIterator()
        // Each client reads its first token, then holds its stream open until the map is
        // taken. The second starts once the first has its prompt in the cache.
        var clients: [Task<(status: Int, events: [String]), any Error>] = []
        for _ in 0..<2 {
            clients.append(Task {
                try await server.stream("/v1/chat/completions", body: body) { payload in
                    guard deltaContent(payload)?.isEmpty == false else { return true }
                    startedC.yield()
                    await gate.wait()
                    return false
                }
            })
            _ = await firstTokens.next()
        }
        let kv = try await server.get("/v1/kv")
        releaseC.finish()
        for c in clients { _ = try await c.value }
        let holders = try XCTUnwrap(kv.json["requests"] as? [[String: Any]]).compactMap { $0["sequence"] as? Int }
        XCTAssertEqual(holders.count, 2, kv.text.prefix(400).description)
        let blocks = try XCTUnwrap((kv.json["snapshot"] as? [String: Any])?["blocks"] as? [[String: Any]])
        let shared = blocks.filter { Set(($0["owners"] as? [Int]) ?? []).isSuperset(of: holders) }
        XCTAssertGreaterThanOrEqual(shared.count, 3, "the system prompt's blocks are held by both requests")
        XCTAssertTrue(shared.allSatisfy { ($0["ref_count"] as? Int ?? 0) >= 2 })
    }

    func testADisconnectedClientFreesItsBlocksAtOnce() async throws {
        let server = try await ServerHarness.start()
        defer { server.stop() }
        let body: [String: Any] = ["messages": [question], "max_tokens": 2000, "temperature": 0, "stream": true]
        let result = try await server.stream("/v1/chat/completions", body) { payload in deltaContent(payload)?.isEmpty != false }
        XCTAssertNotEqual(result.events.last, "[DONE]", "the client left mid-reply")
        let freed = try await server.eventually(10) {
            let used = try await server.metric("pagoda_kv_blocks_used"), running = try await server.metric("pagoda_requests_running")
            return used == 0 && running == 0
        }
        XCTAssertTrue(freed, "blocks still held after the client went away")
        let generated = try await server.metric("pagoda_generation_tokens_total") ?? 0
        XCTAssertLessThan(generated, 1000, "generation stopped with the client")
    }

    func testMoreRequestsThanThePoolHoldsAllComplete() async throws {
        // 20 blocks of 16 tokens; eight requests of about 60 tokens each need 30 or more.
        var options = ServerOptions()
        options.parallel = 8
        let server = try await ServerHarness.start(options: options, kvTokens: 20 * 16)
        defer { server.stop() }
        let replies = try await withThrowingTaskGroup(of: ServerHarness.Reply.self) { group in
            for i in 0..<8 {
                let body: [String: Any] = ["messages": [["role": "user", "content": "Count from \(i) upwards, one number per line."]],
                                           "max_tokens": 40, "temperature": 0]
                group.addTask { try await server.post("/v1/chat/completions", body) }
            }
            var out: [ServerHarness.Reply] = []
            for try await r in group { out.append(r) }
            return out
        }
        XCTAssertEqual(replies.map(\.status), Array(repeating: 200, count: 8), replies.map(\.text).joined(separator: "\n"))
        for r in replies {
            let usage = try XCTUnwrap(r.json["usage"] as? [String: Any])
            XCTAssertGreaterThan(usage["completion_tokens"] as? Int ?? 0, 0)
        }
        let preemptions = try await server.metric("pagoda_preemptions_total")
        XCTAssertGreaterThan(preemptions ?? 0, 0, "the pool was too small for all eight at once")
    }
}

/// Holds callers until the stream it wraps ends.
actor Gate {
    private var open = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ signal: AsyncStream<Void>) {
        Task { [weak self] in
            for await _ in signal {}
            await self?.openUp()
        }
    }

    private func openUp() {
        open = true
        for w in waiters { w.resume() }
        waiters.removeAll()
    }

    func wait() async {
        if open { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
