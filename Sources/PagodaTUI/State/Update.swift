import Foundation
import PagodaEngine

/// The one place the UI state changes: applies `message` to `state` and returns the work
/// the runtime must do. Pure: no I/O, no clock, no engine calls.
public func update(_ state: inout AppState, _ message: AppMessage) -> [Effect] {
    switch message {
    case .key(let key): return handleKey(&state, key)
    case .paste(let text):
        state.input.insert(text)
        return []
    case .resize(let width, let height):
        state.width = width
        state.height = height
        return []
    case .drawn(let viewport):
        state.viewport = viewport
        // Scrolled down to the end (or rewrapped wider): follow the bottom again.
        if let i = state.index(ofConversation: viewport.conversation),
           case .fromTop(let top) = state.conversations[i].scroll, top >= viewport.bottomTop {
            state.conversations[i].scroll = .following
        }
        return []
    case .generation(let id, let event):
        return handleGeneration(&state, id, event)
    case .kvChanged(let snapshot):
        // Snapshots come from more than one thread; an older picture never replaces a newer.
        if snapshot.version >= state.kv?.version ?? 0 { state.kv = snapshot }
        return []
    case .serverReport(let report):
        state.server = report
        return []
    case .memory(let bytes):
        state.residentBytes = bytes
        return []
    case .sequenceAssigned(let number, let sequence):
        if let i = state.index(ofConversation: number) { state.conversations[i].sequence = sequence }
        return []
    case .systemPromptLoaded(let number, let text):
        guard let i = state.index(ofConversation: number) else { return [] }
        state.conversations[i].systemPrompt = text
        appendNotice(&state, i, "system prompt set: \(text.prefix(60))\(text.count > 60 ? "…" : "")")
        return []
    case .contextTrimmed(let number, let dropped, let policy):
        guard let i = state.index(ofConversation: number) else { return [] }
        appendNotice(&state, i, "context full: \(plural(dropped, "earlier message")) left out of the prompt "
                     + "(--context-policy \(policy.rawValue)); the transcript keeps them")
        return []
    case .notice(let text):
        appendNotice(&state, state.focused, text, kind: .error)
        return []
    case .info(let text):
        appendNotice(&state, state.focused, text)
        return []
    }
}

// MARK: - Helpers shared by the handlers

/// Adds a notice to a conversation: at the end, or just before its reply while one streams
/// (so the reply stays last and keeps receiving its text).
func appendNotice(_ s: inout AppState, _ conversation: Int, _ text: String, kind: TranscriptEntry.Kind = .notice) {
    guard s.conversations.indices.contains(conversation) else { return }
    let entry = TranscriptEntry(kind, text)
    if let reply = s.conversations[conversation].streamingReply {
        s.conversations[conversation].entries.insert(entry, at: reply)
    } else {
        s.conversations[conversation].entries.append(entry)
    }
}

/// `text` cut to `width` columns, ending in "…" when it was cut.
func cut(_ text: String, toWidth width: Int) -> String {
    guard displayWidth(text) > width else { return text }
    var out = ""
    var used = 0
    for c in text {
        let w = displayWidth(c)
        if used + w > max(0, width - 1) { break }
        out.append(c)
        used += w
    }
    return out + "…"
}

func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
