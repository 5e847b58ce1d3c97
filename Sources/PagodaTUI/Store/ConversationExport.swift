import Foundation

/// A conversation written out for people (Markdown) or programs (JSON), chosen by the
/// file's extension. The text is the stored text, byte for byte; notices are left out.
public enum ConversationExport {
    public enum Format: String, Sendable { case markdown, json }

    /// The format for `path`'s extension (`.md`, `.markdown`, `.json`), nil for another.
    public static func format(of path: String) -> Format? {
        switch (path as NSString).pathExtension.lowercased() {
        case "md", "markdown": .markdown
        case "json": .json
        default: nil
        }
    }

    public static func render(_ c: Conversation, as format: Format) -> String {
        switch format {
        case .markdown: markdown(c)
        case .json: json(c)
        }
    }

    /// `# Title`, the model and system prompt, then a `## You` / `## Assistant` section per
    /// message. A reply stopped or cut at the token limit says so in italics after it.
    public static func markdown(_ c: Conversation) -> String {
        var out = "# \(c.displayTitle ?? "Conversation \(c.number)")\n\n"
        out += "Conversation \(c.number)" + (c.model.map { " with \($0)" } ?? "") + "\n\n"
        if let system = c.systemPrompt, !system.isEmpty { out += "## System\n\n\(system)\n\n" }
        for e in c.entries {
            switch e.kind {
            case .user: out += "## You\n\n\(e.text)\n\n"
            case .assistant:
                out += "## Assistant\n\n\(e.text)\n\n"
                if e.stopped { out += "*(stopped)*\n\n" }
                if e.cutAtLimit { out += "*(cut at the token limit)*\n\n" }
            case .notice, .error: break
            }
        }
        return out
    }

    private struct Document: Encodable {
        struct Message: Encodable {
            var role: String
            var content: String
            var stopped: Bool?
            var cutAtLimit: Bool?
        }
        var number: Int
        var title: String?
        var model: String?
        var messages: [Message]
    }

    /// `{"number", "title", "model", "messages": [{"role", "content"}…]}`, with the system
    /// prompt as the first message, as chat APIs take them.
    public static func json(_ c: Conversation) -> String {
        var messages: [Document.Message] = []
        if let system = c.systemPrompt, !system.isEmpty { messages.append(.init(role: "system", content: system)) }
        for e in c.entries {
            switch e.kind {
            case .user: messages.append(.init(role: "user", content: e.text))
            case .assistant: messages.append(.init(role: "assistant", content: e.text, stopped: e.stopped ? true : nil, cutAtLimit: e.cutAtLimit ? true : nil))
            case .notice, .error: break
            }
        }
        let document = Document(number: c.number, title: c.displayTitle, model: c.model, messages: messages)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, numbers and optionals cannot fail.
        return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self) + "\n"
    }
}
