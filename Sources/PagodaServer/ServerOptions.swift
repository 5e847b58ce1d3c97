/// How `pagoda serve` listens and admits requests.
public struct ServerOptions: Sendable {
    /// Loopback unless asked otherwise.
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the one bound is reported when listening.
    public var port = 8080
    /// When set, every endpoint but `/health` wants `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// Requests generating at once (one sequence each in the engine's batches).
    public var parallel = 8
    /// Requests that may wait for a place beyond `parallel`; past that, 503.
    public var queueLimit = 64
    /// Largest request body read; past that, 413.
    public var maxBodyBytes = 8 << 20
    /// Replies stop after this many tokens when a request gives no `max_tokens`.
    public var defaultMaxTokens = 512
    /// `/v1/completions` default, OpenAI's.
    public var defaultCompletionTokens = 16

    public init() {}

    /// Whether the address is reachable from other machines (anything but loopback).
    public var isExposed: Bool { !["127.0.0.1", "localhost", "::1"].contains(host) }
}
