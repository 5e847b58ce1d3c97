import Foundation
import XCTest
@testable import PagodaServer

/// Bad requests get OpenAI's error shape with the right status, never a 500: bad JSON,
/// missing or wrong fields, a body too large, a wrong key, an unknown model, a prompt past
/// the context, a server already full.
final class ServerErrorTests: XCTestCase {
    let hello: [[String: Any]] = [["role": "user", "content": "Hello"]]

    func testBadBodiesAndFieldsAre400WithTheFieldNamed() async throws {
        let server = try await ServerHarness.start()
        defer { server.stop() }
        let notJSON = try await server.request(.POST, "/v1/chat/completions", body: Data("{\"messages\": [".utf8))
        XCTAssertEqual(notJSON.status, 400)
        XCTAssertEqual(notJSON.error["type"] as? String, "invalid_request_error")
        XCTAssertTrue((notJSON.error["message"] as? String ?? "").contains("not valid JSON"), notJSON.text)

        let cases: [([String: Any], String)] = [
            ([:], "messages"),
            (["messages": []], "messages"),
            (["messages": [["role": "wizard", "content": "hi"]]], "messages[0].role"),
            (["messages": [["role": "user"]]], "messages[0].content"),
            (["messages": hello, "temperature": 7], "temperature"),
            (["messages": hello, "top_p": 0], "top_p"),
            (["messages": hello, "max_tokens": 0], "max_tokens"),
            (["messages": hello, "max_tokens": "many"], "max_tokens"),
            (["messages": hello, "stop": ["a", "b", "c", "d", "e"]], "stop"),
            // Asked for and not given: refused, not quietly ignored.
            (["messages": hello, "n": 2], "n"),
            (["messages": hello, "logprobs": true], "logprobs"),
            (["messages": hello, "tools": [["type": "function", "function": ["name": "f"]]]], "tools"),
        ]
        for (body, param) in cases {
            let r = try await server.post("/v1/chat/completions", body)
            XCTAssertEqual(r.status, 400, "\(body): \(r.text)")
            XCTAssertEqual(r.error["param"] as? String, param, r.text)
        }
        let prompt = try await server.post("/v1/completions", ["prompt": ["one", "two"]])
        XCTAssertEqual(prompt.status, 400, prompt.text)
        let counted = try await server.get("/metrics").text
        XCTAssertTrue(counted.contains("pagoda_http_requests_total{status=\"400\"} \(cases.count + 2)"), "every refusal counted")
    }

    func testAPromptPastTheContextIsRefusedBeforeAnyWork() async throws {
        let server = try await ServerHarness.start()
        defer { server.stop() }
        let long = String(repeating: "lorem ipsum dolor sit amet ", count: 3000)  // well past 8192 tokens
        let r = try await server.post("/v1/chat/completions", ["messages": [["role": "user", "content": long]], "stream": true])
        XCTAssertEqual(r.status, 400, r.text)
        XCTAssertEqual(r.error["code"] as? String, "context_length_exceeded")
        let limit = try await server.post("/v1/chat/completions", ["messages": hello, "max_tokens": 100_000])
        XCTAssertEqual(limit.error["code"] as? String, "context_length_exceeded")
        let used = try await server.metric("pagoda_kv_blocks_used")
        XCTAssertEqual(used, 0)
    }

    /// A reply that outgrows a pool of four blocks fails after its status line was sent: it
    /// ends with an error event and `[DONE]`, never with an ordinary "stop".
    func testAFailureMidStreamIsAnErrorEvent() async throws {
        let server = try await ServerHarness.start(kvTokens: 64)
        defer { server.stop() }
        let story: [[String: Any]] = [["role": "user", "content": "Write a long story about owls."]]
        let (status, events) = try await server.stream("/v1/chat/completions", ["messages": story, "max_tokens": 200, "temperature": 0, "stream": true])
        XCTAssertEqual(status, 200)
        XCTAssertTrue(events.contains { $0.contains("\"content\":\"") && !$0.contains("\"content\":\"\"") }, "some of the reply came first: \(events)")
        let error = try XCTUnwrap(events.first { $0.hasPrefix("{\"error\"") }, "\(events)")
        XCTAssertTrue(error.contains("KV cache") && error.contains("\"type\":\"server_error\""), error)
        XCTAssertFalse(events.contains { $0.contains("\"finish_reason\":\"stop\"") }, "\(events)")
        XCTAssertEqual(events.last, "[DONE]")
    }

    func testAHugeBodyIs413() async throws {
        var options = ServerOptions()
        options.maxBodyBytes = 64 << 10
        let server = try await ServerHarness.start(options: options)
        defer { server.stop() }
        let r = try await server.post("/v1/chat/completions", ["messages": [["role": "user", "content": String(repeating: "x", count: 100_000)]]])
        XCTAssertEqual(r.status, 413, r.text)
        XCTAssertEqual(r.error["code"] as? String, "request_too_large")
    }

    func testTheKeyIsAskedForEverywhereButHealth() async throws {
        var options = ServerOptions()
        options.apiKey = "sesame"
        let server = try await ServerHarness.start(options: options)
        defer { server.stop() }
        let none = try await server.post("/v1/chat/completions", ["messages": hello, "max_tokens": 1])
        XCTAssertEqual(none.status, 401)
        XCTAssertEqual(none.error["code"] as? String, "invalid_api_key")
        let wrong = try await server.get("/v1/models", key: "sesam")
        XCTAssertEqual(wrong.status, 401)
        let metrics = try await server.get("/metrics"), health = try await server.get("/health")
        XCTAssertEqual(metrics.status, 401)
        XCTAssertEqual(health.status, 200)
        let right = try await server.post("/v1/chat/completions", ["messages": hello, "max_tokens": 1], key: "sesame")
        XCTAssertEqual(right.status, 200, right.text)
    }

    func testAnUnknownModelIs404() async throws {
        let server = try await ServerHarness.start()
        defer { server.stop() }
        let r = try await server.post("/v1/chat/completions", ["model": "gpt-4o", "messages": hello])
        XCTAssertEqual(r.status, 404)
        XCTAssertEqual(r.error["code"] as? String, "model_not_found")
        let nowhere = try await server.get("/v1/nothing-here")
        XCTAssertEqual(nowhere.status, 404)
    }

    func testAFullServerSays503AndTheFirstRequestGoesOn() async throws {
        var options = ServerOptions()
        options.parallel = 1
        options.queueLimit = 0
        let server = try await ServerHarness.start(options: options)
        defer { server.stop() }
        let (started, startedC) = AsyncStream<Void>.makeStream()
        let (release, releaseC) = AsyncStream<Void>.makeStream()
        let gate = Gate(release)
        let body = try JSONSerialization.data(withJSONObject: ["messages": hello, "max_tokens": 40, "temperature": 0, "stream": true])
        let first = Task {
            try await server.stream("/v1/chat/completions", body: body) { payload in
                if deltaContent(payload)?.isEmpty == false {
                    startedC.yield()
                    await gate.wait()
                }
                return true
            }
        }
        var it = started.makeAsyncIterator()
        _ = await it.next()
        let busy = try await server.post("/v1/chat/completions", ["messages": hello, "max_tokens": 1])
        XCTAssertEqual(busy.status, 503, busy.text)
        XCTAssertEqual(busy.headers.first(name: "Retry-After"), "1")
        releaseC.finish()
        let done = try await first.value
        XCTAssertEqual(done.status, 200)
        XCTAssertEqual(done.events.last, "[DONE]")
        let after = try await server.post("/v1/chat/completions", ["messages": hello, "max_tokens": 1])
        XCTAssertEqual(after.status, 200, "the place is free again")
    }
}
