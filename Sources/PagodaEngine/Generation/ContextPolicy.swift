/// What to do when a conversation no longer fits: the model's context or the KV pool,
/// whichever is smaller, less room for the reply. The system prompt and the newest user
/// message are always kept; turns dropped from the prompt stay in the transcript.
public enum ContextPolicy: String, Sendable, CaseIterable {
    /// Send it anyway; the generation fails with the reason.
    case stop
    /// Leave out the oldest turns (a user message and its reply) until it fits.
    case dropOldest = "drop-oldest"
    /// Keep the first turn (it often sets the task) and leave out the ones after it.
    case truncateMiddle = "truncate-middle"

    /// The message indices to leave out next, or nil when nothing more can go. A turn is
    /// a user message with the replies that follow it.
    func nextTurnToDrop(_ messages: [ChatMessage]) -> Range<Int>? {
        let turnStarts = messages.indices.filter { messages[$0].role == .user }
        // The newest user message (and what follows it) is never dropped.
        let droppable = Array(turnStarts.dropLast())
        let skip = self == .truncateMiddle ? 1 : 0
        guard self != .stop, droppable.count > skip else { return nil }
        let start = droppable[skip]
        let end = turnStarts.first { $0 > start } ?? messages.count
        return start..<end
    }
}
