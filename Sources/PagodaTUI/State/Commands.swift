/// The slash commands, their help, and tab completion.
public enum SlashCommands {
    public static let all: [(name: String, usage: String, help: String)] = [
        ("/help", "/help", "list the commands"),
        ("/new", "/new", "start a new conversation"),
        ("/list", "/list", "list the conversations"),
        ("/switch", "/switch N", "switch to conversation N (also Ctrl-N / Ctrl-P)"),
        ("/fork", "/fork", "copy this conversation; the copy shares its KV blocks"),
        ("/clear", "/clear", "drop this conversation's history and free its blocks"),
        ("/delete", "/delete N", "delete conversation N, from the screen and the store"),
        ("/rename", "/rename TITLE", "title this conversation (no TITLE: its first line again)"),
        ("/export", "/export FILE", "write this conversation to FILE.md (Markdown) or FILE.json"),
        ("/system", "/system TEXT|NAME", "set the system prompt (a name from prompts/)"),
        ("/set", "/set KEY VALUE", "temp, top_k, top_p, min_p, repeat_penalty, seed, n_predict"),
        ("/show", "/show", "show the settings and the model"),
        ("/regen", "/regen", "drop the last reply and generate it again"),
        ("/continue", "/continue", "go on with the last reply (one cut at the token limit, or stopped)"),
        ("/quit", "/quit", "quit (also Ctrl-D)"),
    ]

    public static let settingKeys = ["temp", "top_k", "top_p", "min_p", "repeat_penalty", "seed", "n_predict"]

    /// What Tab does to the input: the text completed as far as it is unambiguous, and
    /// the candidates when more than one fits (shown to choose from).
    public struct Completion: Equatable, Sendable {
        public var text: String
        public var candidates: [String]
    }

    /// Completes the command word of `text`, a `/set` key, or a `/system` prompt name; nil
    /// if nothing fits.
    public static func complete(_ text: String, promptNames: [String] = []) -> Completion? {
        guard text.hasPrefix("/") else { return nil }
        let parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        func choose(_ options: [String], typed: String, before: String) -> Completion? {
            let matches = options.filter { $0.hasPrefix(typed) }
            guard let first = matches.first else { return nil }
            if matches.count == 1 { return Completion(text: before + first + " ", candidates: []) }
            return Completion(text: before + (commonPrefix(matches) ?? typed), candidates: matches)
        }
        if parts.count == 1 { return choose(all.map(\.name), typed: text, before: "") }
        if parts.count == 2, parts[0] == "/set" { return choose(settingKeys, typed: parts[1], before: "/set ") }
        if parts.count == 2, parts[0] == "/system" { return choose(promptNames, typed: parts[1], before: "/system ") }
        return nil
    }

    private static func commonPrefix(_ items: [String]) -> String? {
        guard var prefix = items.first else { return nil }
        for item in items.dropFirst() { while !item.hasPrefix(prefix) { prefix.removeLast() } }
        return prefix
    }

    /// Applies `/set key value` to `settings`, or explains what is wrong (ranges are
    /// `SamplingParameters.problem`'s, as on the command line).
    public static func set(_ key: String, _ value: String, in settings: inout ChatSettings) -> String? {
        var changed = settings
        func number() -> Float? { Float(value).flatMap { $0.isFinite ? $0 : nil } }
        switch key {
        case "temp":
            guard let v = number() else { return "temp must be a number (0 or less picks the most likely token)" }
            changed.sampling.temperature = v
        case "top_k":
            guard let v = Int(value) else { return "top_k must be a whole number" }
            changed.sampling.topK = v
        case "top_p":
            guard let v = number() else { return "top_p must be a number" }
            changed.sampling.topP = v
        case "min_p":
            guard let v = number() else { return "min_p must be a number" }
            changed.sampling.minP = v
        case "repeat_penalty":
            guard let v = number() else { return "repeat_penalty must be a number" }
            changed.sampling.repeatPenalty = v
        case "seed":
            guard let v = UInt64(value) else { return "seed must be a whole number ≥ 0" }
            changed.sampling.seed = v
        case "n_predict":
            guard let v = Int(value), v > 0 else { return "n_predict must be a whole number > 0" }
            changed.maxTokens = v
        default:
            return "unknown setting '\(key)' (one of \(settingKeys.joined(separator: ", ")))"
        }
        if let problem = changed.sampling.problem { return problem }
        settings = changed
        return nil
    }
}
