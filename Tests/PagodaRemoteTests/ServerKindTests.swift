import Foundation
import Hummingbird
import Logging
import PagodaEngine
import PagodaTUI
import XCTest
@testable import PagodaRemote

/// Stand-ins for llama-server, vLLM, Ollama and a plain OpenAI-compatible server, each
/// answering on loopback with its own endpoints and shapes: the backend tells them apart
/// by what answers, reads each one's figures, and takes a turn's numbers from the stream.
final class ServerKindTests: XCTestCase {
    enum Kind { case llamaServer, vllm, ollama, plain }

    /// One reply streamed as each of them streams it: content chunks, a finish reason, then
    /// usage (and llama-server's timings), then `[DONE]`.
    static func stream(_ kind: Kind) -> String {
        var events = ["{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}"]
        for piece in ["The capital", " of France", " is Paris."] {
            events.append("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(piece)\"},\"finish_reason\":null}]}")
        }
        events.append("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}")
        switch kind {
        case .llamaServer:
            events.append("{\"choices\":[],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":8,\"total_tokens\":48},"
                          + "\"timings\":{\"cache_n\":32,\"prompt_n\":8,\"prompt_ms\":20.0,\"predicted_n\":8,\"predicted_ms\":70.0}}")
        case .vllm, .ollama, .plain:
            events.append("{\"choices\":[],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":8,\"total_tokens\":48,"
                          + "\"prompt_tokens_details\":{\"cached_tokens\":16}}}")
        }
        return events.map { "data: \($0)\n\n" }.joined() + "data: [DONE]\n\n"
    }

    /// The chat-completion bodies the stand-ins were sent, latest last.
    let received = LockedValue<[Data]>([])

    func router(_ kind: Kind) -> Router<BasicRequestContext> {
        let router = Router(), received = self.received
        @Sendable func text(_ body: String, _ type: String = "application/json") -> Response {
            Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("v1/models") { _, _ in
            text(kind == .vllm ? #"{"object":"list","data":[{"id":"Qwen/Qwen3-0.6B","object":"model","max_model_len":40960}]}"#
                               : #"{"object":"list","data":[{"id":"served-model","object":"model"}]}"#)
        }
        router.post("v1/chat/completions") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            received.value.append(Data(body.readableBytesView))
            return text(Self.stream(kind), "text/event-stream")
        }
        switch kind {
        case .llamaServer:
            router.get("props") { _, _ in text(#"{"default_generation_settings":{"n_ctx":8192},"total_slots":2}"#) }
            router.get("slots") { _, _ in text(#"[{"id":0,"n_ctx":4096,"is_processing":false,"next_token":[{"n_decoded":12}]}]"#) }
            router.get("metrics") { _, _ in text("llamacpp:prompt_tokens_total 300\nllamacpp:tokens_predicted_total 120\nllamacpp:requests_processing 0\n", "text/plain") }
        case .vllm:
            router.get("metrics") { _, _ in text(PrometheusTextTests.vllm, "text/plain") }
        case .ollama:
            router.get("api/version") { _, _ in text(#"{"version":"0.12.3"}"#) }
            router.get("api/ps") { _, _ in text(#"{"models":[{"name":"served-model","size":1048576000,"size_vram":0}]}"#) }
        case .plain:
            break
        }
        return router
    }

    func withServer(_ kind: Kind, _ body: (String) async throws -> Void) async throws {
        var logger = Logger(label: "fake")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router(kind), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        try await body("http://127.0.0.1:\(port)/v1")
    }

    /// `/continue`: the conversation ends with the reply so far. vLLM is told to continue it
    /// (it would otherwise close it and start another); the others continue a last assistant
    /// message by themselves and are sent the conversation alone.
    func testAContinuedReplyIsContinuedOnEveryKind() async throws {
        for kind in [Kind.vllm, .llamaServer, .ollama] {
            try await withServer(kind) { url in
                let backend = try await RemoteBackend.connect(url: url, apiKey: nil, model: nil)
                let messages = [ChatMessage(.user, "Capital of France?"), ChatMessage(.assistant, "The capital")]
                _ = await RemoteBackendTests.collect(backend.generate(ReplyRequest(sequence: nil, messages: messages, settings: ChatSettings()),
                                                                      stop: StopSignal()))
                let sent = try XCTUnwrap(JSONSerialization.jsonObject(with: XCTUnwrap(received.value.last)) as? [String: Any])
                let roles = (sent["messages"] as? [[String: Any]])?.compactMap { $0["role"] as? String }
                XCTAssertEqual(roles, ["user", "assistant"], "\(kind)")
                XCTAssertEqual((sent["messages"] as? [[String: Any]])?.last?["content"] as? String, "The capital")
                if kind == .vllm {
                    XCTAssertEqual(sent["continue_final_message"] as? Bool, true)
                    XCTAssertEqual(sent["add_generation_prompt"] as? Bool, false)
                } else {
                    XCTAssertNil(sent["continue_final_message"], "\(kind)")
                    XCTAssertNil(sent["add_generation_prompt"], "\(kind)")
                }
            }
        }
        // A new turn on vLLM is an ordinary request.
        try await withServer(.vllm) { url in
            _ = try await turn(url)
            let sent = try XCTUnwrap(JSONSerialization.jsonObject(with: XCTUnwrap(received.value.last)) as? [String: Any])
            XCTAssertNil(sent["continue_final_message"])
        }
    }

    /// Connects, takes one turn and one reading of the figures.
    func turn(_ url: String) async throws -> (backend: RemoteBackend, text: String, reason: FinishReason?, stats: GenerationStats?, report: ServerReport?) {
        let backend = try await RemoteBackend.connect(url: url, apiKey: nil, model: nil)
        var settings = ChatSettings()
        settings.maxTokens = 8
        let reply = await RemoteBackendTests.collect(backend.generate(ReplyRequest(sequence: nil, messages: [ChatMessage(.user, "Capital of France?")],
                                                                                  settings: settings), stop: StopSignal()))
        var report: ServerReport?
        for await event in backend.reports() {
            if case .server(let r) = event { report = r; break }
        }
        return (backend, reply.text, reply.reason, reply.stats, report)
    }

    func testLlamaServer() async throws {
        try await withServer(.llamaServer) { url in
            let t = try await turn(url)
            XCTAssertEqual(t.text, "The capital of France is Paris.")
            XCTAssertEqual(t.reason, .endOfGeneration)
            XCTAssertEqual(t.backend.model.contextLength, 8192, "from /props")
            XCTAssertEqual(t.stats?.reusedPromptTokens, 32, "timings.cache_n")
            XCTAssertEqual(t.stats?.prefillSeconds ?? 0, 0.020, accuracy: 1e-9, "timings.prompt_ms")
            XCTAssertEqual(t.stats?.decodeSeconds ?? 0, 0.070, accuracy: 1e-9, "timings.predicted_ms")
            let r = try XCTUnwrap(t.report)
            XCTAssertEqual(r.kind, .llamaServer)
            XCTAssertEqual(r.source, "/slots, /metrics, timings")
            XCTAssertEqual(r.slots, [ServerReport.Slot(id: 0, contextTokens: 4096, processing: false, decoded: 12)])
            XCTAssertEqual(r.promptTokens, 300)
        }
    }

    func testVLLM() async throws {
        try await withServer(.vllm) { url in
            let t = try await turn(url)
            XCTAssertEqual(t.backend.model.fileName, "Qwen/Qwen3-0.6B")
            XCTAssertEqual(t.backend.model.contextLength, 40960, "max_model_len")
            XCTAssertEqual(t.stats?.promptTokens, 40)
            XCTAssertEqual(t.stats?.generatedTokens, 8)
            XCTAssertEqual(t.stats?.reusedPromptTokens, 16, "usage.prompt_tokens_details.cached_tokens")
            let r = try XCTUnwrap(t.report)
            XCTAssertEqual(r.kind, .vllm)
            XCTAssertEqual(r.source, "/metrics")
            XCTAssertEqual(r.kvUsage, 0.4375)
            XCTAssertEqual(r.prefixHitRate, 0.25)
        }
    }

    func testOllama() async throws {
        try await withServer(.ollama) { url in
            let t = try await turn(url)
            XCTAssertEqual(t.text, "The capital of France is Paris.")
            let r = try XCTUnwrap(t.report)
            XCTAssertEqual(r.kind, .ollama)
            XCTAssertEqual(r.loaded.map(\.name), ["served-model"])
        }
    }

    /// A server with nothing but the API: the figures are each reply's usage, said so.
    func testPlainServer() async throws {
        try await withServer(.plain) { url in
            let t = try await turn(url)
            XCTAssertEqual(t.text, "The capital of France is Paris.")
            XCTAssertEqual(t.stats?.reusedPromptTokens, 16)
            let r = try XCTUnwrap(t.report)
            XCTAssertEqual(r.kind, .openAI)
            XCTAssertEqual(r.source, "each reply's usage")
            XCTAssertNil(r.kvUsage)
        }
    }
}
