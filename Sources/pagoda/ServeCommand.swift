import ArgumentParser
import Foundation
import Logging
import PagodaEngine
import PagodaServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over an OpenAI-compatible HTTP API, with its KV cache in /metrics and /v1/kv.",
        discussion: """
        Endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health,
        GET /metrics (Prometheus), GET /v1/kv (the block map as JSON). Concurrent requests are
        batched: each engine step decodes one token of every running request in one pass.
        """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var cacheOptions: CacheOptions

    @Option(help: "Address to listen on; anything but loopback is reachable from other machines.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free one, printed when listening).")
    var port = 8080

    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer KEY' on every endpoint but /health.")
    var apiKey: String?

    @Option(help: "Requests generating at once; more wait in line.")
    var parallel = ServerOptions().parallel

    @Option(name: .customLong("queue"), help: "Requests that may wait beyond --parallel; past that, 503.")
    var queueLimit = ServerOptions().queueLimit

    @Option(name: .customLong("chat-template"), help: "'chatml' or a Jinja file, instead of the model's template.")
    var chatTemplate: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        guard queueLimit >= 0 else { throw ValidationError("--queue must be 0 or more") }
        if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key must not be empty") }
    }

    func run() async throws {
        let engine = try modelOptions.loadEngine(cacheOptions, chatTemplate: chatTemplate)
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.apiKey = apiKey
        options.parallel = parallel
        options.queueLimit = queueLimit
        if options.isExposed && apiKey == nil {
            Terminal.printError("pagoda: warning: listening on \(host) with no --api-key: anyone who can reach this machine can use the model")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let server = OpenAIServer(engine: engine, options: options)
        let facts = engine.facts
        do {
            try await server.run { bound in
                Terminal.printError("pagoda: serving \(facts.fileName) on http://\(host):\(bound)/v1 "
                                    + "(\(facts.kvPoolBlocks) KV blocks of \(facts.kvLayout.blockTokens) tokens, up to \(parallel) requests at once)")
            }
        } catch {
            Terminal.printError("pagoda: cannot serve on \(host):\(port): \(error)")
            throw ExitCode(1)
        }
    }
}
