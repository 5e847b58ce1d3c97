import Foundation
import Hummingbird
import NIOCore
import PagodaEngine

/// `/v1/chat/completions` and `/v1/completions`: one engine request each, in a conversation
/// of its own that is released at the end (its full blocks stay in the prefix cache, so a
/// repeated system prompt is not computed again). Streaming sends server-sent events.
struct CompletionEndpoint: Sendable {
    let state: ServerState

    enum Kind { case chat, text }

    /// What one request asks for, checked.
    struct Job {
        var kind: Kind
        var input: Engine.Request.Input
        var settings: GenerationSettings
        var stream: Bool
        var includeUsage: Bool
    }

    func chat(_ request: Request) async throws -> Response {
        try await run(try await checked("chat") { try await chatJob(request) })
    }

    func text(_ request: Request) async throws -> Response {
        try await run(try await checked("completions") { try await textJob(request) })
    }

    /// A request refused before it runs is logged and counted like the others.
    private func checked(_ endpoint: String, _ body: () async throws -> Job) async throws -> Job {
        do {
            return try await body()
        } catch let error as APIError {
            state.answered(status: Int(error.status.code), firstToken: nil)
            state.logger.info("\(endpoint) \(error.status.code) \(error.code ?? error.type): \(error.message.prefix(200))")
            throw error
        }
    }

    private func chatJob(_ request: Request) async throws -> Job {
        let body = try await read(request)
        let r = try WireJSON.decode(ChatCompletionRequest.self, from: body)
        try checkModel(r.model)
        try refuseUnsupported(n: r.n, logprobs: r.logprobs ?? false, tools: r.tools?.count ?? 0)
        guard !r.messages.isEmpty else { throw APIError.invalid("messages must hold at least one message", param: "messages") }
        let messages = try r.messages.enumerated().map { i, m -> ChatMessage in
            guard let role = ChatMessage.Role(rawValue: m.role) else {
                throw APIError.invalid("messages[\(i)].role '\(m.role)' is not one of system, user, assistant", param: "messages[\(i)].role")
            }
            return ChatMessage(role, m.content.text)
        }
        let settings = try GenerationSettings(temperature: r.temperature, topP: r.topP, maxTokens: r.maxCompletionTokens ?? r.maxTokens,
                                              stop: r.stop, seed: r.seed, defaultMaxTokens: state.options.defaultMaxTokens,
                                              contextLength: state.engine.facts.contextLength)
        return Job(kind: .chat, input: .messages(messages), settings: settings, stream: r.stream ?? false,
                   includeUsage: r.streamOptions?.includeUsage ?? false)
    }

    private func textJob(_ request: Request) async throws -> Job {
        let body = try await read(request)
        let r = try WireJSON.decode(CompletionRequest.self, from: body)
        try checkModel(r.model)
        try refuseUnsupported(n: r.n, logprobs: (r.logprobs ?? 0) > 0, tools: 0)
        let settings = try GenerationSettings(temperature: r.temperature, topP: r.topP, maxTokens: r.maxTokens, stop: r.stop, seed: r.seed,
                                              defaultMaxTokens: state.options.defaultCompletionTokens,
                                              contextLength: state.engine.facts.contextLength)
        return Job(kind: .text, input: .text(r.prompt.text), settings: settings, stream: r.stream ?? false,
                   includeUsage: r.streamOptions?.includeUsage ?? false)
    }

    private func read(_ request: Request) async throws -> Data {
        do {
            return Data(buffer: try await request.body.collect(upTo: state.options.maxBodyBytes))
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit: state.options.maxBodyBytes)
        }
    }

    private func checkModel(_ model: String?) throws {
        guard state.serves(model) else { throw APIError.unknownModel(model ?? "", served: state.modelID) }
    }

    // MARK: - Running

    private func run(_ job: Job) async throws -> Response {
        let started = Date()
        let id = state.newRequestID(job.kind == .chat ? "chatcmpl" : "cmpl")
        let lease = try await GenerationLease.take(state, id: id)
        var request = Engine.Request(sequence: lease.sequence, input: job.input)
        request.sampling = job.settings.sampling
        request.maxTokens = job.settings.maxTokens
        request.stopStrings = job.settings.stop
        let stop = StopSignal()
        let events = EventReader(state.engine.generate(request, stop: stop))
        // Up to the first event after the prompt: a request that cannot run fails before any
        // byte of a reply is sent, with a status that says so.
        var first: GenerationEvent?
        while let e = await events.next() {
            if case .prompt = e { continue }
            first = e
            break
        }
        if case .finished(.failed(let message), _)? = first {
            lease.end()
            let error = APIError.engine(message)
            log(id, job, status: Int(error.status.code), stats: nil, started: started)
            throw error
        }
        let created = Int(started.timeIntervalSince1970)
        if !job.stream {
            return try await withTaskCancellationHandler {
                var text = ""
                var ending: (FinishReason, GenerationStats)?
                var next = first
                while let e = next {
                    if case .text(let piece) = e { text += piece }
                    if case .finished(let reason, let stats) = e { ending = (reason, stats) }
                    next = await events.next()
                }
                lease.end()
                guard let (reason, stats) = ending else { throw CancellationError() }
                if case .failed(let message) = reason, stats.generatedTokens == 0 { throw APIError.engine(message) }
                log(id, job, status: 200, stats: stats, started: started)
                return WireJSON.response(completion(job, id: id, created: created, text: text, reason: reason, stats: stats))
            } onCancel: {
                stop.stop()
            }
        }
        let model = state.modelID, firstEvent = first
        let body = ResponseBody { writer in
            var stats: GenerationStats?
            var failed = false
            do {
                if job.kind == .chat {
                    try await writer.write(event(ChatCompletionChunk(id: id, created: created, model: model,
                                                                     choices: [.init(delta: .init(role: "assistant", content: ""))])))
                }
                var next = firstEvent
                while let e = next {
                    switch e {
                    case .text(let piece):
                        try await writer.write(event(chunk(job, id: id, created: created, text: piece, reason: nil)))
                    case .finished(.failed(let message), let s):
                        // Past the status line: the failure goes as an error event (as vLLM
                        // sends one), never as an ordinary end.
                        stats = s
                        failed = true
                        try await writer.write(event(APIError(status: .internalServerError, message: message, type: "server_error",
                                                              param: nil, code: APIError.engine(message).code).body))
                    case .finished(let reason, let s):
                        stats = s
                        try await writer.write(event(chunk(job, id: id, created: created, text: "", reason: reason)))
                        if job.includeUsage { try await writer.write(event(usageChunk(job, id: id, created: created, stats: s))) }
                    default: break
                    }
                    next = await events.next()
                }
                // The place and the blocks are given back before the client hears the end.
                lease.end()
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                log(id, job, status: 200, stats: stats, started: started, failed: failed)
                try await writer.finish(nil)
            } catch {
                // The client went away: stop generating and free the blocks now.
                stop.stop()
                lease.end()
                log(id, job, status: 499, stats: stats, started: started)
                throw error
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    // MARK: - Shapes

    private func completion(_ job: Job, id: String, created: Int, text: String, reason: FinishReason, stats: GenerationStats) -> any Encodable {
        switch job.kind {
        case .chat:
            ChatCompletion(id: id, created: created, model: state.modelID,
                           choices: [.init(message: .init(content: text), finishReason: finishReason(reason))],
                           usage: Usage(stats), timings: Timings(stats))
        case .text:
            TextCompletion(id: id, created: created, model: state.modelID, choices: [.init(text: text, finishReason: finishReason(reason))],
                           usage: Usage(stats), timings: Timings(stats))
        }
    }

    private func chunk(_ job: Job, id: String, created: Int, text: String, reason: FinishReason?) -> any Encodable {
        switch job.kind {
        case .chat:
            ChatCompletionChunk(id: id, created: created, model: state.modelID,
                                choices: [.init(delta: .init(content: reason == nil ? text : nil), finishReason: reason.map(finishReason))])
        case .text:
            TextCompletion(id: id, created: created, model: state.modelID, choices: [.init(text: text, finishReason: reason.map(finishReason))])
        }
    }

    /// The last chunk when `stream_options.include_usage` is set: usage, no choices.
    private func usageChunk(_ job: Job, id: String, created: Int, stats: GenerationStats) -> any Encodable {
        switch job.kind {
        case .chat: ChatCompletionChunk(id: id, created: created, model: state.modelID, choices: [], usage: Usage(stats), timings: Timings(stats))
        case .text: TextCompletion(id: id, created: created, model: state.modelID, choices: [], usage: Usage(stats), timings: Timings(stats))
        }
    }

    private func event(_ value: any Encodable) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(WireJSON.encode(value))
        buffer.writeString("\n\n")
        return buffer
    }

    /// One line per request: id, endpoint, status, tokens, cached tokens, speed, time.
    private func log(_ id: String, _ job: Job, status: Int, stats: GenerationStats?, started: Date, failed: Bool = false) {
        state.answered(status: status, firstToken: stats.flatMap { $0.generatedTokens > 0 ? $0.timeToFirstTokenSeconds : nil })
        let ms = Int(Date().timeIntervalSince(started) * 1000)
        let endpoint = job.kind == .chat ? "chat" : "completions"
        guard let s = stats else {
            state.logger.info("\(id) \(endpoint) \(status) \(ms) ms")
            return
        }
        let line = "\(id) \(endpoint) \(status)\(failed ? " failed mid-stream" : "") prompt=\(s.promptTokens) cached=\(s.reusedPromptTokens) completion=\(s.generatedTokens) "
            + "ttft=\(Int(s.timeToFirstTokenSeconds * 1000)) ms \(String(format: "%.1f", s.decodeTokensPerSecond)) t/s \(ms) ms"
        state.logger.info("\(line)")
    }
}
