import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PagodaEngine
import PagodaTestSupport
@testable import PagodaServer

/// A `pagoda serve` on a free loopback port for one test, over SmolLM2 (the real model, so
/// prompts go through its chat template and tokenizer), and a real HTTP client for it.
final class ServerHarness: @unchecked Sendable {
    let engine: Engine
    let base: String
    private let task: Task<Void, any Error>

    static func start(options: ServerOptions = ServerOptions(), kvTokens: Int? = nil) async throws -> ServerHarness {
        var engineOptions = EngineOptions()
        engineOptions.threads = 2
        if let kvTokens { engineOptions.kvTokens = kvTokens }
        let engine = try Engine(file: RealModels.file(.smolLM2), options: engineOptions)
        var o = options
        o.host = "127.0.0.1"
        o.port = 0
        var logger = Logger(label: "pagoda.serve.test")
        logger.logLevel = .critical  // a cancelled server says it closed; tests say what matters
        let server = OpenAIServer(engine: engine, options: o, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run(handlingSignals: false) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return ServerHarness(engine: engine, base: "http://127.0.0.1:\(port)", task: task)
    }

    private init(engine: Engine, base: String, task: Task<Void, any Error>) {
        self.engine = engine
        self.base = base
        self.task = task
    }

    func stop() { task.cancel() }

    struct Reply {
        var status: Int
        var body: Data
        var headers: HTTPHeaders
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
        /// `error.code`, `error.type`, `error.param` of an OpenAI error body.
        var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    }

    func request(_ method: HTTPMethod, _ path: String, body: Data? = nil, key: String? = nil) async throws -> Reply {
        var r = HTTPClientRequest(url: base + path)
        r.method = method
        if let body {
            r.body = .bytes(ByteBuffer(bytes: body))
            r.headers.add(name: "Content-Type", value: "application/json")
        }
        if let key { r.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let response = try await HTTPClient.shared.execute(r, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), body: Data(buffer: bytes), headers: response.headers)
    }

    func post(_ path: String, _ json: [String: Any], key: String? = nil) async throws -> Reply {
        try await request(.POST, path, body: try JSONSerialization.data(withJSONObject: json), key: key)
    }

    func get(_ path: String, key: String? = nil) async throws -> Reply { try await request(.GET, path, key: key) }

    /// Server-sent events of a streaming request, each `data:` payload as it arrives, until
    /// `[DONE]` or until `onEvent` returns false (then the connection is dropped).
    func stream(_ path: String, _ json: [String: Any], onEvent: @Sendable (String) async -> Bool = { _ in true }) async throws -> (status: Int, events: [String]) {
        try await stream(path, body: try JSONSerialization.data(withJSONObject: json), onEvent: onEvent)
    }

    func stream(_ path: String, body: Data, onEvent: @Sendable (String) async -> Bool = { _ in true }) async throws -> (status: Int, events: [String]) {
        var r = HTTPClientRequest(url: base + path)
        r.method = .POST
        r.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(r, timeout: .seconds(120))
        var events: [String] = []
        var pending = ""
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let end = pending.range(of: "\n\n") {
                let line = String(pending[..<end.lowerBound])
                pending = String(pending[end.upperBound...])
                guard line.hasPrefix("data: ") else { continue }
                let payload = String(line.dropFirst(6))
                events.append(payload)
                if payload == "[DONE]" { return (Int(response.status.code), events) }
                if !(await onEvent(payload)) { return (Int(response.status.code), events) }
            }
        }
        return (Int(response.status.code), events)
    }

    /// Polls `condition` every 20 ms for up to `seconds`.
    func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return false
    }

    /// A metric's value from `/metrics`.
    func metric(_ name: String) async throws -> Double? {
        let text = try await get("/metrics").text
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }
}

/// The content of a chat chunk's delta, nil for other events.
func deltaContent(_ payload: String) -> String? {
    guard let object = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any],
          let choices = object["choices"] as? [[String: Any]], let delta = choices.first?["delta"] as? [String: Any] else { return nil }
    return delta["content"] as? String
}
