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

    /// Generates a reply to `request`. Events arrive as the work happens: `.prompt` once the
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
        queue.async { [self] in
            var r = request
            let report = preparePrompt(&r)
            continuation.yield(.prompt(report))
            run(r, context: report.tokens, cancelled: flag) { continuation.yield($0) }
            publishSnapshot()
            continuation.finish()
        }
        return stream
    }

    /// The prompt tokens of `r` and what was done to make them fit; `r.maxTokens` is cut to
    /// the room left when a context policy is set.
    private func preparePrompt(_ r: inout Request) -> PromptReport {
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

    /// The generation loop, synchronous, on the engine's queue.
    private func run(_ r: Request, context: [TokenID], cancelled: StopSignal, emit: @escaping (GenerationEvent) -> Void) {
        var stats = GenerationStats()
        stats.promptTokens = context.count
        let start = DispatchTime.now()
        func seconds(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9 }
        func finish(_ reason: FinishReason) {
            let snapshot = model.cache.snapshot()
            stats.kvBlocksInUse = snapshot.usedBlocks
            stats.kvBlocksTotal = snapshot.totalBlocks
            emit(.finished(reason, stats))
        }
        guard !context.isEmpty else { return finish(.failed("the prompt is empty")) }
        // A prompt past the model's context fails before any of it is computed.
        let contextLength = facts.contextLength
        guard context.count < contextLength else {
            return finish(.failed("the prompt is \(context.count) tokens, more than the model's context of \(contextLength) leaves room for (at least one token must follow)"))
        }
        // A prompt the whole pool cannot hold fails before it preempts anything.
        let poolTokens = facts.kvPoolTokens
        guard context.count < poolTokens else {
            return finish(.failed("KV cache is full: the prompt needs \(context.count + 1) tokens, the whole pool holds \(poolTokens)"))
        }
        // A full pool preempts the least recently used other conversation, says so, and tries
        // again; only when no other conversation holds a block is it an error.
        func preemptingWhenFull<T>(_ body: () throws -> T) throws -> T {
            while true {
                do {
                    return try body()
                } catch let error as KVCacheError {
                    guard case .outOfBlocks = error,
                          let victim = model.cache.preemptLeastRecentlyUsed(except: r.protected().union([r.sequence])) else { throw error }
                    emit(.preempted(victim.id, freedBlocks: victim.freedBlocks))
                    publishSnapshot()
                }
            }
        }

        // Prefill.
        var logits: UnsafeBufferPointer<Float>
        do {
            logits = try preemptingWhenFull {
                try model.transformer.evaluate(r.sequence, context: context, progress: { done in
                    if cancelled.isCancelled { throw CancellationError() }
                    emit(.promptProgress(done: done, total: context.count))
                    self.publishSnapshot(throttled: true)
                })
            }
        } catch is CancellationError {
            return finish(.cancelled)
        } catch {
            return finish(.failed("\(error)"))
        }
        let hit = (try? model.cache.lastPrefixHit(of: r.sequence)) ?? .init()
        stats.reusedPromptTokens = hit.reusedTokens
        stats.prefixCacheHitTokens = hit.cachedTokens
        stats.prefixCacheHitBlocks = hit.cachedBlocks
        stats.prefillSeconds = seconds(since: start)

        // Decode.
        var sampler = Sampler(r.sampling)
        var history = context
        history.reserveCapacity(context.count + min(r.maxTokens, contextLength))
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var stops = StopStringFilter(r.stopStrings)
        var next: [TokenID] = [0]  // the token to run, in one array for the whole loop
        let decodeStart = DispatchTime.now()
        while true {
            if cancelled.isCancelled {
                // Stopped mid-reply: the tokens out so far were decoded in this time.
                stats.decodeSeconds = seconds(since: decodeStart)
                return finish(.cancelled)
            }
            let token = sampler.sample(logits, history: history[...])
            stats.generatedTokens += 1
            if stats.generatedTokens == 1 { stats.timeToFirstTokenSeconds = seconds(since: start) }
            if tokenizer.isEndOfGeneration(token) {
                if let rest = stops.finish(detokenizer.flush()), !rest.isEmpty { emit(.text(rest)) }
                stats.decodeSeconds = seconds(since: decodeStart)
                return finish(.endOfGeneration)
            }
            history.append(token)
            emit(.decoded(tokens: stats.generatedTokens, seconds: seconds(since: decodeStart)))
            let (text, stopped) = stops.filter(detokenizer.append(token))
            if !text.isEmpty { emit(.text(text)) }
            if let stopped {
                stats.decodeSeconds = seconds(since: decodeStart)
                return finish(.stopString(stopped))
            }
            if stats.generatedTokens >= r.maxTokens {
                if let rest = stops.finish(detokenizer.flush()), !rest.isEmpty { emit(.text(rest)) }
                stats.decodeSeconds = seconds(since: decodeStart)
                return finish(.length)
            }
            do {
                next[0] = token
                try preemptingWhenFull { try model.transformer.forward(next[...], sequence: r.sequence, logits: .last) }
                logits = model.transformer.logits
                publishSnapshot(throttled: true)
            } catch {
                stats.decodeSeconds = seconds(since: decodeStart)
                return finish(.failed("\(error)"))
            }
        }
    }
}
