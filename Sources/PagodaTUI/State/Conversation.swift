import Foundation
import PagodaEngine

/// One line of the transcript.
public struct TranscriptEntry: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case user, assistant, notice, error }
    public var kind: Kind
    public var text: String
    /// Still being generated.
    public var streaming = false
    /// Stopped by the user before the end.
    public var stopped = false
    /// Ended because it reached the token limit (n_predict); `/continue` goes on.
    public var cutAtLimit = false

    public init(_ kind: Kind, _ text: String, streaming: Bool = false) {
        self.kind = kind
        self.text = text
        self.streaming = streaming
    }
}

/// A conversation: its transcript, its KV cache sequence and where its view is scrolled.
public struct Conversation: Equatable, Sendable {
    /// The number shown to the user: with a transcript store, its stored id, the same in
    /// every run; otherwise counted from 1 in this run.
    public let number: Int
    /// The model it was held with (its file name), nil when not known (saved before models
    /// were recorded).
    public var model: String?
    /// Set by `/rename`; nil shows the first line of the first message.
    public var title: String?
    /// Its sequence in the KV cache, once one exists.
    public var sequence: SequenceID?
    public var systemPrompt: String?
    public var entries: [TranscriptEntry] = []
    public var scroll = ScrollPosition.following
    public var lastStats: GenerationStats?
    /// Tokens of context the last turn used.
    public var contextTokens = 0
    /// Its row in the transcript store, for a conversation loaded from an earlier session.
    public var storedID: Int64?

    public init(number: Int, systemPrompt: String?, model: String? = nil) {
        self.number = number
        self.systemPrompt = systemPrompt
        self.model = model
    }

    /// The title, or the first line of the first message; nil for an empty conversation.
    public var displayTitle: String? {
        if let title, !title.isEmpty { return title }
        return entries.first { $0.kind == .user }.map { firstLine($0.text) }
    }

    /// User turns so far.
    public var turns: Int { entries.filter { $0.kind == .user }.count }

    /// The reply being generated, if any: the last assistant entry still streaming (notices
    /// may follow it, a preemption's for instance).
    public var streamingReply: Int? {
        entries.lastIndex { $0.kind == .assistant && $0.streaming }
    }

    /// The messages to send: system prompt, then user and assistant turns (notices left out).
    public var messages: [ChatMessage] {
        var out: [ChatMessage] = []
        if let systemPrompt, !systemPrompt.isEmpty { out.append(ChatMessage(.system, systemPrompt)) }
        for e in entries {
            switch e.kind {
            case .user: out.append(ChatMessage(.user, e.text))
            case .assistant: out.append(ChatMessage(.assistant, e.text))
            case .notice, .error: break
            }
        }
        return out
    }
}

/// The first non-blank line of `text`, trimmed.
func firstLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).lazy.map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty } ?? ""
}
