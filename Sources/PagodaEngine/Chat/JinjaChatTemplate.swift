import Foundation

/// A model's own chat template (`tokenizer.chat_template`), rendered like transformers'
/// `apply_chat_template` with `messages`, `add_generation_prompt`, `bos_token` and `eos_token`.
public struct JinjaChatTemplate: ChatTemplate {
    public let name: String
    public private(set) var template: JinjaTemplate
    public let bosToken: String
    public let eosToken: String

    public init(source: String, name: String = "model", bosToken: String = "", eosToken: String = "") throws {
        self.name = name
        template = try JinjaTemplate(source)
        self.bosToken = bosToken
        self.eosToken = eosToken
    }

    /// Replaces the parsed template (tests pin its clock this way).
    mutating func setTemplate(_ t: JinjaTemplate) { template = t }

    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        let list = messages.map { m in JinjaValue.dict(JinjaDict([("role", .string(m.role.rawValue)), ("content", .string(m.content))])) }
        return try render(messages: .list(list), addGenerationPrompt: addGenerationPrompt)
    }

    /// Renders arbitrary message values (any keys, as a JSON list of objects gives them).
    public func render(messages: JinjaValue, addGenerationPrompt: Bool) throws -> String {
        try template.render([
            "messages": messages,
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
        ])
    }

    /// Parses a JSON text (a list of `{role, content, …}` objects) into template values,
    /// keeping key order.
    public static func messages(fromJSON text: String) throws -> JinjaValue {
        try JinjaJSON.parse(text)
    }
}
