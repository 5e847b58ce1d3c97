import PagodaEngine

/// `POST /v1/chat/completions`, the fields Pagoda reads (others are ignored, as OpenAI's
/// compatible servers do, except those asking for what Pagoda cannot give: `n` above 1,
/// `logprobs`, `tools`, which are refused). Keys are snake_case on the wire.
struct ChatCompletionRequest: Decodable {
    struct Message: Decodable {
        var role: String
        var content: Content
    }

    var model: String?
    var messages: [Message]
    var temperature: Float?
    var topP: Float?
    var maxTokens: Int?
    /// The newer name of `max_tokens`.
    var maxCompletionTokens: Int?
    var stop: StopField?
    var seed: UInt64?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var n: Int?
    var logprobs: Bool?
    var tools: [Unsupported]?
}

/// `POST /v1/completions`: raw text, no chat template.
struct CompletionRequest: Decodable {
    var model: String?
    var prompt: PromptField
    var temperature: Float?
    var topP: Float?
    var maxTokens: Int?
    var stop: StopField?
    var seed: UInt64?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var n: Int?
    /// How many log probabilities per token (this API's older form).
    var logprobs: Int?
}

/// A field's value whose contents are not read, only that it was given.
struct Unsupported: Decodable {
    init(from decoder: any Decoder) throws {}
}

/// Refuses what a request asks for and Pagoda does not do, instead of quietly ignoring it.
func refuseUnsupported(n: Int?, logprobs: Bool, tools: Int) throws {
    if let n, n != 1 { throw APIError.invalid("n must be 1: one choice per request (send several requests instead)", param: "n") }
    if logprobs { throw APIError.invalid("logprobs are not supported", param: "logprobs") }
    if tools > 0 { throw APIError.invalid("tools are not supported: this server has no tool calling", param: "tools") }
}

struct StreamOptions: Decodable {
    var includeUsage: Bool?
}

/// A message's content: a string, or a list of parts of which only text parts are read.
struct Content: Decodable {
    var text: String

    private struct Part: Decodable {
        var type: String
        var text: String?
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            text = s
            return
        }
        let parts = try c.decode([Part].self)
        text = try parts.map { part in
            guard part.type == "text", let t = part.text else {
                throw APIError.invalid("content parts of type '\(part.type)' are not supported (text only)", param: "messages")
            }
            return t
        }.joined()
    }
}

/// `stop`: one string or a list of them.
struct StopField: Decodable {
    var strings: [String]

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { strings = [s] } else { strings = try c.decode([String].self) }
    }
}

/// `prompt`: one string or a list holding one.
struct PromptField: Decodable {
    var text: String

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            text = s
            return
        }
        let list = try c.decode([String].self)
        guard list.count == 1 else { throw APIError.invalid("prompt must be one string (batches of prompts are not supported)", param: "prompt") }
        text = list[0]
    }
}

/// The checks both endpoints share, turned into the engine's sampling settings.
struct GenerationSettings {
    var sampling: SamplingParameters
    var maxTokens: Int
    var stop: [String]

    /// Most stop strings one request may give (OpenAI's limit).
    static let maxStopStrings = 4

    init(temperature: Float?, topP: Float?, maxTokens: Int?, stop: StopField?, seed: UInt64?, defaultMaxTokens: Int, contextLength: Int) throws {
        sampling = SamplingParameters()
        if let t = temperature {
            guard t.isFinite, (0...2).contains(t) else { throw APIError.invalid("temperature must be between 0 and 2, not \(t)", param: "temperature") }
            sampling.temperature = t
        }
        if let p = topP {
            guard p.isFinite, p > 0, p <= 1 else { throw APIError.invalid("top_p must be in (0, 1], not \(p)", param: "top_p") }
            sampling.topP = p
        }
        if let seed { sampling.seed = seed }
        if let problem = sampling.problem { throw APIError.invalid(problem, param: nil) }
        let limit = maxTokens ?? defaultMaxTokens
        guard limit >= 1 else { throw APIError.invalid("max_tokens must be at least 1, not \(limit)", param: "max_tokens") }
        guard limit < contextLength else {
            throw APIError.contextTooLong("max_tokens is \(limit); the model's context is \(contextLength) tokens", param: "max_tokens")
        }
        self.maxTokens = limit
        self.stop = stop?.strings ?? []
        guard self.stop.count <= Self.maxStopStrings else { throw APIError.invalid("at most \(Self.maxStopStrings) stop strings", param: "stop") }
    }
}
