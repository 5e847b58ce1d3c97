import AsyncHTTPClient
import Foundation
import PagodaEngine
import PagodaTUI

/// The chat over an OpenAI-compatible server (`pagoda chat --remote URL`): each turn is one
/// streamed chat completion carrying the whole conversation; the stats pane shows what the
/// server exposes, found by `ServerProbe`. Nothing touches the network before `connect`.
public final class RemoteBackend: ChatBackend {
    let server: RemoteServer
    public let model: ModelInfo
    /// The server's kind: found at `connect`, or by the first turn that reaches a server
    /// unreachable then.
    private let kind: LockedValue<ServerReport.Kind?>
    private let connectProblem: String?
    /// The model the requests name: given, or the server's first; nil until a server that
    /// could not be reached at start answers (each turn asks again).
    private let modelName: LockedValue<String?>
    /// The id of the reply streaming now, while it streams: the readings look up the
    /// sequence the server gave it.
    private let replyID = LockedValue<String?>(nil)

    /// How often the server's figures are read: the block map often, others less.
    static func readingInterval(_ kind: ServerReport.Kind) -> Duration {
        kind == .pagoda ? .milliseconds(500) : .seconds(2)
    }

    /// Reaches the server at `url`: finds its kind and, unless `model` names one, the model
    /// it serves (the first of `/v1/models`). An unreachable server is not an error here: the
    /// chat opens and says so, and each turn tries again. Throws only for a malformed URL.
    public static func connect(url: String, apiKey: String?, model: String?) async throws -> RemoteBackend {
        let server = try RemoteServer(url: url, apiKey: apiKey)
        let probe = ServerProbe(server: server)
        do {
            let kind = try await probe.detect()
            let served = try await servedModels(server)
            let name = model ?? served.first?.id ?? "default"
            var context = served.first { $0.id == name }?.contextLength
            if context == nil, kind == .llamaServer { context = await llamaContext(server) }
            var problem: String?
            if let model, !served.isEmpty, !served.contains(where: { $0.id == model }) {
                problem = "the server does not list a model '\(UntrustedText.escaped(model))' (it lists \(served.prefix(5).map { UntrustedText.escaped($0.id) }.joined(separator: ", ")))"
            }
            return RemoteBackend(server: server, model: info(name, context: context ?? 0), name: name, kind: kind, problem: problem)
        } catch {
            return RemoteBackend(server: server, model: info(model ?? "(not known yet)", context: 0), name: model, kind: nil, problem: "\(error)")
        }
    }

    private init(server: RemoteServer, model: ModelInfo, name: String?, kind: ServerReport.Kind?, problem: String?) {
        self.server = server
        self.model = model
        modelName = LockedValue(name)
        self.kind = LockedValue(kind)
        connectProblem = problem
    }

    private static func info(_ name: String, context: Int) -> ModelInfo {
        ModelInfo(name: UntrustedText.escaped(name, limit: 80), fileName: name, architecture: "remote", weightTypes: [], threads: 0, contextLength: context)
    }

    public var startNotices: [String] {
        kind.value.map { ["replies come from \($0.rawValue) at \(server.address), model \(model.name)"] } ?? []
    }

    public var startProblems: [String] { connectProblem.map { [$0] } ?? [] }

    public var keepsSequences: Bool { false }
    public func createConversation() -> SequenceID { SequenceID(raw: 0) }
    public func fork(_ source: SequenceID) throws -> SequenceID { throw RemoteError("a server keeps no conversation to fork") }
    public func release(_ sequence: SequenceID) {}
    public func kvSnapshot() -> KVCacheSnapshot? { nil }

    public func generate(_ request: ReplyRequest, stop: StopSignal) -> AsyncStream<GenerationEvent> {
        let server = self.server, modelName = self.modelName, knownKind = self.kind, replyID = self.replyID
        return AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let work = Task {
                var name = modelName.value
                if name == nil {
                    do {
                        name = try await Self.servedModels(server).first?.id
                        modelName.value = name
                    } catch {
                        continuation.yield(.finished(.failed("\(error)"), GenerationStats()))
                        continuation.finish()
                        return
                    }
                }
                // Only a continued reply needs the kind (see ChatCompletionStream.body).
                if knownKind.value == nil, request.messages.last?.role == .assistant {
                    knownKind.value = try? await ServerProbe(server: server).detect()
                }
                let stream = ChatCompletionStream(server: server, model: name ?? "default", request: request, kind: knownKind.value)
                await stream.run(identified: { replyID.value = $0 }) { continuation.yield($0) }
                replyID.value = nil
                continuation.finish()
            }
            // Esc sets `stop`: the request is cancelled, its connection closed, and the
            // server frees what it held for it.
            let watcher = Task {
                while !Task.isCancelled {
                    if stop.isCancelled {
                        work.cancel()
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(30))
                }
            }
            continuation.onTermination = { _ in
                work.cancel()
                watcher.cancel()
            }
        }
    }

    /// The server's figures now and every `readingInterval`; its kind is found again while
    /// it could not be reached.
    public func reports() -> AsyncStream<BackendReport> {
        let probe = ServerProbe(server: server), known = kind.value, address = server.address, replyID = self.replyID
        return AsyncStream(bufferingPolicy: .bufferingNewest(4)) { continuation in
            let task = Task {
                var kind = known
                while !Task.isCancelled {
                    if kind == nil {
                        do {
                            kind = try await probe.detect()
                        } catch {
                            var report = ServerReport(kind: .openAI, address: address, source: "nothing yet")
                            report.problem = "\(error)"
                            continuation.yield(.server(report))
                        }
                    }
                    if let kind {
                        var reading = await probe.read(kind)
                        if let kv = reading.kv { continuation.yield(.kv(kv)) }
                        reading.report.replySequence = replyID.value.flatMap { reading.holders[$0] }
                        continuation.yield(.server(reading.report))
                        if kind == .openAI { break }  // nothing more to read
                    }
                    try? await Task.sleep(for: Self.readingInterval(kind ?? .openAI))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: - The model list

    struct ServedModel {
        var id: String
        var contextLength: Int?
    }

    /// `/v1/models`: the ids, and the context where the server says it (`max_model_len` in
    /// vLLM and `pagoda serve`).
    static func servedModels(_ server: RemoteServer) async throws -> [ServedModel] {
        let answer = try await server.get("/models", from: server.api)
        guard answer.status == 200 else { throw RemoteError.status(answer.status, body: answer.body, model: nil) }
        guard let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
              let data = object["data"] as? [[String: Any]] else {
            throw RemoteError("\(server.api)/models did not answer with a model list")
        }
        return data.compactMap { m in
            (m["id"] as? String).map { ServedModel(id: $0, contextLength: (m["max_model_len"] as? NSNumber)?.intValue) }
        }
    }

    /// llama-server's context per slot, from `/props`.
    static func llamaContext(_ server: RemoteServer) async -> Int? {
        guard let answer = try? await server.get("/props"), answer.status == 200,
              let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
              let settings = object["default_generation_settings"] as? [String: Any] else { return nil }
        return (settings["n_ctx"] as? NSNumber)?.intValue
    }
}

/// A value read and written from several threads under a lock.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
