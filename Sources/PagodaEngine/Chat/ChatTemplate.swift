/// Turns a conversation into the text a model was trained on.
public protocol ChatTemplate: Sendable {
    var name: String { get }
    /// The prompt text for `messages`; with `addGenerationPrompt`, ending where the
    /// assistant's reply begins.
    func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String
}

/// ChatML (`<|im_start|>role\ncontent<|im_end|>\n`), used by SmolLM2, Qwen and many others,
/// and Pagoda's fallback when a model's own template cannot be used.
public struct ChatMLTemplate: ChatTemplate {
    public let name = "chatml"

    public init() {}

    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var text = ""
        for m in messages {
            text += "<|im_start|>\(m.role.rawValue)\n\(m.content)<|im_end|>\n"
        }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }
}
