import Foundation
import PagodaEngine

// The engine's generation events, applied to the conversation they belong to.

func handleGeneration(_ s: inout AppState, _ id: Int, _ event: GenerationEvent) -> [Effect] {
    // Events of a generation that is no longer current (stopped, replaced) are dropped.
    guard var g = s.generation, g.id == id, let i = s.index(ofConversation: g.conversation) else { return [] }
    switch event {
    case .prompt:
        break  // the runtime says what it means (trimmed turns, a template fallback)
    case .promptProgress(let done, let total):
        g.promptDone = done
        g.promptTotal = total
        s.generation = g
    case .decoded(let tokens, let seconds):
        g.tokensOut = tokens
        g.decodeSeconds = seconds
        s.generation = g
    case .preempted(let sequence, let freed):
        // Said in both conversations; the preempted one is recomputed from its transcript
        // when it next generates (its sequence is kept, empty).
        if let victim = s.conversations.firstIndex(where: { $0.sequence == sequence }) {
            appendNotice(&s, victim, "KV cache full: this conversation's blocks were freed for conversation \(s.conversations[i].number); "
                         + "it is recomputed from the transcript when you continue it")
            appendNotice(&s, i, "KV cache full: conversation \(s.conversations[victim].number) was preempted (\(freed) blocks freed) to make room")
        }
    case .text(let text):
        if let reply = s.conversations[i].streamingReply { s.conversations[i].entries[reply].text += text }
    case .finished(let reason, let stats):
        recordEnding(of: &s.conversations[i], reason, stats)
        s.generation = nil
        return startWaitingReply(&s)
    }
    return []
}

/// Marks how a conversation's streaming reply ended and what its turn used.
private func recordEnding(of c: inout Conversation, _ reason: FinishReason, _ stats: GenerationStats) {
    if let reply = c.streamingReply {
        c.entries[reply].streaming = false
        if reason == .cancelled { c.entries[reply].stopped = true }
        if reason == .length { c.entries[reply].cutAtLimit = true }
        if case .failed = reason, c.entries[reply].text.isEmpty { c.entries.remove(at: reply) }
    }
    if case .failed(let message) = reason { c.entries.append(TranscriptEntry(.error, message)) }
    c.lastStats = stats
    // The tokens now in its KV cache, as the pane counts them: the last token sampled is
    // only fed back when the reply goes on, i.e. when it was stopped mid-way.
    let fed = reason == .cancelled ? stats.generatedTokens : max(0, stats.generatedTokens - 1)
    c.contextTokens = stats.promptTokens + fed
}

/// "1 turn", "2 turns".
