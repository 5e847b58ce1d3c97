import Foundation
import Hummingbird
import Logging
import PagodaEngine

/// The engine behind an OpenAI-compatible HTTP API: chat and text completions (streamed as
/// server-sent events or whole), the model list, health, Prometheus metrics and the KV
/// block map. Every request is a client of `Engine` like the chat is; concurrent requests
/// are batched by the engine's scheduler, at most `parallel` at once.
public final class OpenAIServer: Sendable {
    let state: ServerState

    public init(engine: Engine, options: ServerOptions, logger: Logger = Logger(label: "pagoda.serve")) {
        state = ServerState(engine: engine, options: options, logger: logger)
    }

    /// The routes, for the application and for tests.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        if let key = state.options.apiKey { router.add(middleware: APIKeyMiddleware(key: key)) }
        let completions = CompletionEndpoint(state: state), metrics = MetricsEndpoint(state: state)
        let state = self.state
        router.get("health") { _, _ in WireJSON.response(["status": "ok"]) }
        router.get("v1/models") { _, _ in
            WireJSON.response(ModelList(data: [.init(id: state.modelID, created: Int(state.started.timeIntervalSince1970),
                                                       maxModelLen: state.engine.facts.contextLength)]))
        }
        router.post("v1/chat/completions") { request, _ in try await completions.chat(request) }
        router.post("v1/completions") { request, _ in try await completions.text(request) }
        router.get("metrics") { _, _ in metrics.metrics() }
        router.get("v1/kv") { _, _ in metrics.kv() }
        return router
    }

    /// Listens until the task is cancelled or, when `handlingSignals`, the process gets
    /// SIGINT/SIGTERM (requests in flight are finished first). `onListening` gets the port
    /// bound (the one asked for, or a free one for port 0).
    public func run(handlingSignals: Bool = true, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(state.options.host, port: state.options.port), serverName: "pagoda"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: state.logger
        )
        try await app.runService(gracefulShutdownSignals: handlingSignals ? [.sigterm, .sigint] : [])
    }
}
