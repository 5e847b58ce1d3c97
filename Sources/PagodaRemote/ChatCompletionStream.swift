import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import PagodaEngine
import PagodaTUI

/// One streamed `POST /v1/chat/completions`, turned into the chat's generation events: each
/// content delta as `.text` with a `.decoded` count, then one `.finished` with the turn's
/// numbers from the response's `usage` (and llama-server's `timings` where given), and the
/// client's own clock for what the server does not say.
struct ChatCompletionStream {
    let server: RemoteServer
    let model: String
    let request: ReplyRequest
    /// The server's kind, when known: it decides how a reply is continued.
    var kind: ServerReport.Kind?

    /// The request body: the conversation and the sampling settings every OpenAI-compatible
    /// server takes; `top_k` and `min_p` only when changed from their defaults (llama-server
    /// and vLLM read them, others ignore them).
    ///
    /// A conversation ending with an assistant message (`/continue`) asks for more of that
    /// reply. `pagoda serve`, llama-server and Ollama continue a last assistant message by
    /// themselves; vLLM would close it and open a new one unless told with
    /// `continue_final_message` (and no generation prompt), which only it reads.
    func body() throws -> Data {
        let p = request.settings.sampling
        var json: [String: Any] = [
            "model": model,
            "messages": request.messages.map { ["role": $0.role.rawValue, "content": $0.content] },
            "stream": true,
            "stream_options": ["include_usage": true],
            "temperature": Double(max(0, p.temperature)),
            "top_p": Double(p.topP),
            "max_tokens": request.settings.maxTokens,
            "seed": Int(truncatingIfNeeded: p.seed & 0x7FFF_FFFF),
        ]
        let defaults = SamplingParameters()
        if p.topK != defaults.topK { json["top_k"] = p.topK }
        if p.minP != defaults.minP { json["min_p"] = Double(p.minP) }
        if kind == .vllm, request.messages.last?.role == .assistant {
            json["continue_final_message"] = true
            json["add_generation_prompt"] = false
        }
        return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    }

    /// Runs the request, emitting events; returns when `.finished` has been emitted. A
    /// cancelled task finishes with `.cancelled` and closes the connection. `identified` is
    /// called once with the response's id (its chunks' `id`), when the first chunk names one.
    func run(identified: (String) -> Void = { _ in }, emit: (GenerationEvent) -> Void) async {
        var stats = GenerationStats()
        var tally = Tally()
        let started = ContinuousClock.now
        do {
            let response = try await server.client.execute(
                server.request(server.api + "/chat/completions", method: .POST, json: try body()), timeout: .seconds(600))
            guard response.status == .ok else {
                let bytes = try await response.body.collect(upTo: RemoteServer.maxProbeBytes)
                throw RemoteError.status(Int(response.status.code), body: Data(buffer: bytes), model: model)
            }
            var events = ServerSentEvents()
            stream: for try await buffer in response.body {
                for payload in try events.feed(buffer.readableBytesView) {
                    if payload == "[DONE]" { tally.done = true; break stream }
                    let named = tally.id != nil
                    try tally.read(payload, started: started, emit: emit)
                    if !named, let id = tally.id { identified(id) }
                }
            }
            try Task.checkCancellation()
            tally.fill(&stats, started: started)
            guard tally.done || tally.finishReason != nil else {
                emit(.finished(.failed("the server closed the stream before the reply ended"), stats))
                return
            }
            emit(.finished(tally.finishReason == "length" ? .length : .endOfGeneration, stats))
        } catch {
            tally.fill(&stats, started: started)
            if Task.isCancelled || error is CancellationError || (error as? HTTPClientError) == .cancelled {
                emit(.finished(.cancelled, stats))
            } else if let error = error as? RemoteError {
                emit(.finished(.failed(error.description), stats))
            } else if error is ServerSentEvents.LineTooLong {
                emit(.finished(.failed("the server sent a line of over \(ServerSentEvents.maxLineBytes >> 20) MiB; the stream was dropped"), stats))
            } else {
                emit(.finished(.failed(RemoteError.unreachable(server.api + "/chat/completions", error).description), stats))
            }
        }
    }
}

/// What the chunks of one stream said so far.
private struct Tally {
    /// The response's id, from the first chunk that has one.
    var id: String?
    var pieces = 0
    var firstPiece: ContinuousClock.Instant?
    var lastPiece: ContinuousClock.Instant?
    var finishReason: String?
    var done = false
    var usage: [String: Any]?
    var timings: [String: Any]?

    /// One `data:` payload: a chunk with content, a finish reason, usage or timings; or an
    /// error object the server sends mid-stream.
    mutating func read(_ payload: String, started: ContinuousClock.Instant, emit: (GenerationEvent) -> Void) throws {
        guard let chunk = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else {
            throw RemoteError("the server sent something that is not JSON in the stream: \(UntrustedText.escaped(payload, limit: 80))")
        }
        if chunk["error"] != nil {
            throw RemoteError("the server stopped the reply: \(RemoteError.serverMessage(Data(payload.utf8)).map { UntrustedText.escaped($0) } ?? "an error")")
        }
        if id == nil, let named = chunk["id"] as? String { id = named }
        if let u = chunk["usage"] as? [String: Any] { usage = u }
        if let t = chunk["timings"] as? [String: Any] { timings = t }
        guard let choice = (chunk["choices"] as? [[String: Any]])?.first else { return }
        if let reason = choice["finish_reason"] as? String { finishReason = reason }
        let delta = choice["delta"] as? [String: Any]
        guard let text = delta?["content"] as? String, !text.isEmpty else { return }
        let now = ContinuousClock.now
        if firstPiece == nil { firstPiece = now }
        lastPiece = now
        pieces += 1
        emit(.text(text))
        emit(.decoded(tokens: pieces, seconds: seconds(now - firstPiece!)))
    }

    /// The turn's numbers: the server's where it gave them, the client's clock otherwise.
    func fill(_ stats: inout GenerationStats, started: ContinuousClock.Instant) {
        let usageDetails = usage?["prompt_tokens_details"] as? [String: Any]
        stats.promptTokens = int(usage?["prompt_tokens"]) ?? 0
        stats.generatedTokens = int(usage?["completion_tokens"]) ?? pieces
        let cached = int(usageDetails?["cached_tokens"]) ?? int(timings?["cache_n"]) ?? 0
        stats.reusedPromptTokens = cached
        stats.prefixCacheHitTokens = cached
        if let first = firstPiece { stats.timeToFirstTokenSeconds = seconds(first - started) }
        stats.prefillSeconds = double(timings?["prompt_ms"]).map { $0 / 1000 } ?? stats.timeToFirstTokenSeconds
        if let ms = double(timings?["predicted_ms"]) {
            stats.decodeSeconds = ms / 1000
        } else if let first = firstPiece, let last = lastPiece {
            stats.decodeSeconds = seconds(last - first)
        }
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }
    private func double(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }
}
