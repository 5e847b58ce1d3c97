import Foundation
import PagodaEngine

/// One request's place in the gate and its conversation in the engine, given back exactly
/// once: when the reply is sent, when the client goes away, or when the lease is dropped.
final class GenerationLease: @unchecked Sendable {
    let state: ServerState
    let id: String
    let sequence: SequenceID
    private let lock = NSLock()
    private var ended = false

    /// Takes a place in the gate (waiting for one), then a new conversation.
    static func take(_ state: ServerState, id: String) async throws -> GenerationLease {
        try await state.gate.enter()
        return GenerationLease(state: state, id: id, sequence: state.engine.createConversation())
    }

    private init(state: ServerState, id: String, sequence: SequenceID) {
        self.state = state
        self.id = id
        self.sequence = sequence
        state.began(id, sequence)
    }

    /// Releases the conversation (a generation still running on it is stopped first; its
    /// full blocks stay in the prefix cache) and frees the place.
    func end() {
        lock.lock()
        let first = !ended
        ended = true
        lock.unlock()
        guard first else { return }
        state.engine.release(sequence)
        state.ended(id)
        state.gate.leave()
    }

    deinit { end() }
}

/// A generation's events, read by one consumer at a time across an `await` boundary (the
/// handler reads up to the first token, the streaming body the rest).
final class EventReader: @unchecked Sendable {
    private var iterator: AsyncStream<GenerationEvent>.AsyncIterator

    init(_ stream: AsyncStream<GenerationEvent>) { iterator = stream.makeAsyncIterator() }

    func next() async -> GenerationEvent? { await iterator.next() }
}
