import PagodaEngine

/// What the endpoints send, encoded with snake_case keys.
struct Usage: Encodable {
    struct PromptDetails: Encodable {
        var cachedTokens: Int
    }

    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int
    var promptTokensDetails: PromptDetails

    /// Prompt tokens reused from the prefix cache count as cached; completion tokens are the
    /// tokens sampled, the end-of-turn token included (as vLLM counts).
    init(_ stats: GenerationStats) {
        promptTokens = stats.promptTokens
        completionTokens = stats.generatedTokens
        totalTokens = stats.promptTokens + stats.generatedTokens
        promptTokensDetails = .init(cachedTokens: stats.reusedPromptTokens)
    }
}

/// Timing of the request as llama-server reports it (`timings`), for clients that show speed.
struct Timings: Encodable {
    var promptN: Int
    var promptMs: Double
    var promptPerSecond: Double
    var predictedN: Int
    var predictedMs: Double
    var predictedPerSecond: Double
    var cacheN: Int

    init(_ s: GenerationStats) {
        promptN = s.promptTokens - s.reusedPromptTokens
        promptMs = s.prefillSeconds * 1000
        promptPerSecond = s.prefillTokensPerSecond
        predictedN = s.generatedTokens
        predictedMs = s.decodeSeconds * 1000
        predictedPerSecond = s.decodeTokensPerSecond
        cacheN = s.reusedPromptTokens
    }
}

/// OpenAI's `finish_reason`: "stop" for an end of turn or a stop string, "length" at the limit.
func finishReason(_ reason: FinishReason) -> String {
    switch reason {
    case .length: "length"
    default: "stop"
    }
}

struct ChatCompletion: Encodable {
    struct Choice: Encodable {
        var index = 0
        var message: Message
        var finishReason: String
    }

    struct Message: Encodable {
        var role = "assistant"
        var content: String
    }

    var id: String
    var object = "chat.completion"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage
    var timings: Timings
}

struct ChatCompletionChunk: Encodable {
    struct Choice: Encodable {
        var index = 0
        var delta: Delta
        var finishReason: String?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(delta, forKey: .delta)
            try c.encode(finishReason, forKey: .finishReason)  // null until the last chunk
        }

        enum CodingKeys: String, CodingKey { case index, delta, finishReason }
    }

    struct Delta: Encodable {
        var role: String?
        var content: String?
    }

    var id: String
    var object = "chat.completion.chunk"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage?
    var timings: Timings?
}

struct TextCompletion: Encodable {
    struct Choice: Encodable {
        var index = 0
        var text: String
        var finishReason: String?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(text, forKey: .text)
            try c.encodeNil(forKey: .logprobs)
            try c.encode(finishReason, forKey: .finishReason)
        }

        enum CodingKeys: String, CodingKey { case index, text, logprobs, finishReason }
    }

    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage?
    var timings: Timings?
}

struct ModelList: Encodable {
    struct Model: Encodable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy = "pagoda"
        /// The model's context in tokens, under vLLM's name for it.
        var maxModelLen: Int
    }

    var object = "list"
    var data: [Model]
}
