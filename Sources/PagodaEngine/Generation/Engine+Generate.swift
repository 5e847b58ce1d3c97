import Foundation

extension Engine {
    /// Replies stop after this many tokens unless a request says otherwise.
    public static let defaultMaxTokens = 512

    /// One generation: what to reply to, in which conversation, and how to sample.
    public struct Request: Sendable {
        /// What the reply follows.
        public enum Input: Sendable {
            /// Token ids as they are: the whole context.
            case tokens([TokenID])
            /// Text encoded as the model's tokenizer does with no chat format (BOS added
            /// where the vocabulary asks).
            case text(String)
            /// A conversation, rendered with the chat template on the engine's queue. When
            /// the last message is the assistant's, its reply is continued: the messages
            /// before it are rendered, then its own tokens follow with no end of turn.
            case messages([ChatMessage])
        }

        public var sequence: SequenceID
        public var input: Input
        /// For `.messages`: the template to render with instead of the engine's.
        public var template: ChatTemplate?
        /// For `.messages`: when set, turns are left out by this policy until the prompt
        /// fits the context and the pool with room for a reply, and the reply is cut (as at
        /// the token limit) where the room ends. When nil, a prompt too long fails.
        public var contextPolicy: ContextPolicy?
        public var sampling = SamplingParameters()
        public var maxTokens = Engine.defaultMaxTokens
        public var stopStrings: [String] = []
        /// Sequences a full pool must not preempt besides this one, asked when it happens
        /// (the chat answers with the conversation the user is looking at).
        public var protected: @Sendable () -> Set<SequenceID> = { [] }

        public init(sequence: SequenceID, input: Input) {
            self.sequence = sequence
            self.input = input
        }

        /// The whole context as token ids: what the cache already holds for `sequence` is reused.
        public init(sequence: SequenceID, context: [TokenID]) {
            self.init(sequence: sequence, input: .tokens(context))
        }
    }

    /// Generates a reply to `request`, batched with every other request in flight (the
    /// engine's `Scheduler`). Events arrive as the work happens: `.prompt` once the
    /// prompt is tokenized, then prompt progress, tokens and text; the stream ends after
    /// `.finished`. Cancelling the consuming task (or dropping the stream) stops the
    /// generation before its next token.
    ///
    /// `stop`, if given, stops the generation the same way but keeps the stream open, so the
    /// final `.finished(.cancelled, …)` still arrives.
    public func generate(_ request: Request, stop: StopSignal? = nil) -> AsyncStream<GenerationEvent> {
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream(bufferingPolicy: .unbounded)
        let flag = stop ?? StopSignal()
        continuation.onTermination = { _ in flag.stop() }
        scheduler.submit(request, stop: flag, engine: self, emit: { continuation.yield($0) }, close: { continuation.finish() })
        return stream
    }

    /// The prompt tokens of `r` and what was done to make them fit; `r.maxTokens` is cut to
    /// the room left when a context policy is set.
    func preparePrompt(_ r: inout Request) -> PromptReport {
        switch r.input {
        case .tokens(let ids):
            return PromptReport(tokens: ids)
        case .text(let text):
            return PromptReport(tokens: tokenizer.encode(text, addSpecial: true, parseSpecial: false))
        case .messages(let messages):
            let continued = messages.last?.role == .assistant ? messages.last!.content : nil
            let partial = continued.map { tokenizer.encode($0) } ?? []
            let earlier = continued == nil ? messages : Array(messages.dropLast())
            var prompt: Prompt
            if let policy = r.contextPolicy {
                prompt = self.prompt(for: earlier, fitting: promptRoom(reply: r.maxTokens) - partial.count, policy: policy, using: r.template)
            } else {
                prompt = self.prompt(for: earlier, using: r.template)
            }
            prompt.tokens += partial
            var report = PromptReport(tokens: prompt.tokens, warning: prompt.warning, droppedMessages: prompt.droppedMessages)
            if r.contextPolicy != nil {
                let room = replyRoom(promptTokens: prompt.tokens.count)
                if room < r.maxTokens { report.replyRoom = room }
                r.maxTokens = max(1, min(r.maxTokens, room))
            }
            return report
        }
    }
}
