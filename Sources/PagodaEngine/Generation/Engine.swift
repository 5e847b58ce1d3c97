import Foundation

/// The engine's public face: a loaded model, its tokenizer and chat template, and
/// generation as a stream of events. All model work runs on one serial queue, so any number
/// of conversations can call in from any thread.
public final class Engine: @unchecked Sendable {
    public let model: LanguageModel
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    /// Why the model's own template is not used, when it is not (it did not parse).
    public let templateWarning: String?
    private let queue = DispatchQueue(label: "pagoda.engine", qos: .userInitiated)

    /// `template` overrides the model's `tokenizer.chat_template`; without either, ChatML.
    public init(model: LanguageModel, template: ChatTemplate? = nil) throws {
        self.model = model
        tokenizer = try Tokenizer(metadata: model.file.metadata)
        if let template {
            self.template = template
            templateWarning = nil
        } else {
            (self.template, templateWarning) = Self.modelTemplate(model.file.metadata, tokenizer.vocabulary)
        }
    }

    /// The model's own chat template, or ChatML and the reason it could not be used.
    static func modelTemplate(_ metadata: GGUFMetadata, _ vocabulary: Vocabulary) -> (ChatTemplate, String?) {
        guard let source = try? metadata.string("tokenizer.chat_template", default: nil) else {
            return (ChatMLTemplate(), nil)
        }
        func text(_ id: TokenID?) -> String { id.map { vocabulary.tokens[Int($0)] } ?? "" }
        do {
            return (try JinjaChatTemplate(source: source, name: "model", bosToken: text(vocabulary.bos), eosToken: text(vocabulary.eos)), nil)
        } catch {
            return (ChatMLTemplate(), "the model's chat template does not parse (\(error)); using ChatML instead")
        }
    }

    /// A template by name (`chatml`) or from a Jinja file, for `--chat-template`.
    public func template(named nameOrPath: String) throws -> ChatTemplate {
        if nameOrPath.lowercased() == "chatml" { return ChatMLTemplate() }
        let source = try String(contentsOfFile: nameOrPath, encoding: .utf8)
        let v = tokenizer.vocabulary
        return try JinjaChatTemplate(source: source, name: nameOrPath,
                                     bosToken: v.bos.map { v.tokens[Int($0)] } ?? "", eosToken: v.eos.map { v.tokens[Int($0)] } ?? "")
    }

    public convenience init(path: String, options: LanguageModel.Options = .init(), template: ChatTemplate? = nil) throws {
        try self.init(model: LanguageModel(path: path, options: options), template: template)
    }

    /// The prompt tokens for `messages` in the model's chat format, special tokens parsed.
    /// Like transformers' `apply_chat_template(tokenize=True)`: the rendered text is encoded
    /// with special tokens parsed and no BOS added (templates write their own).
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = true, using template: ChatTemplate? = nil) throws -> [TokenID] {
        let text = try (template ?? self.template).render(messages, addGenerationPrompt: addGenerationPrompt)
        return tokenizer.encode(text, addSpecial: false, parseSpecial: true)
    }

    /// A prompt ready to generate from, and why it is not in the template asked for.
    public struct Prompt: Sendable {
        public var tokens: [TokenID]
        /// Set when the template failed while rendering and ChatML was used instead.
        public var warning: String?
        /// Messages a `ContextPolicy` left out so the prompt fits.
        public var droppedMessages = 0
    }

    /// The most prompt tokens a conversation can have and still leave `reply` tokens (at
    /// most half the room) for its answer: the model's context or the whole KV pool,
    /// whichever is smaller.
    public func promptRoom(reply: Int) -> Int {
        let room = tokenRoom - 1
        return room - min(reply, room / 2)
    }

    /// The most tokens a reply to a prompt of `promptTokens` can have before the context or
    /// the whole pool (every other conversation preempted) is full. At least 0.
    public func replyRoom(promptTokens: Int) -> Int { max(0, tokenRoom - promptTokens) }

    /// Tokens one sequence can hold: the model's context or the whole KV pool.
    private var tokenRoom: Int {
        min(model.config.contextLength, model.cache.pool.blockCount * model.cache.layout.blockTokens)
    }

    /// The prompt for `messages` as `prompt(for:using:)`, with turns left out by `policy`
    /// until it is at most `limit` tokens. Each try renders and tokenizes the conversation
    /// again: a cost of one render per dropped turn.
    public func prompt(for messages: [ChatMessage], fitting limit: Int, policy: ContextPolicy, using template: ChatTemplate? = nil) -> Prompt {
        var kept = messages
        var result = prompt(for: kept, using: template)
        while result.tokens.count > limit, let drop = policy.nextTurnToDrop(kept) {
            kept.removeSubrange(drop)
            let dropped = result.droppedMessages + drop.count
            result = prompt(for: kept, using: template)
            result.droppedMessages = dropped
        }
        return result
    }

    /// The prompt tokens for `messages`, as `applyChatTemplate`; when the template fails
    /// while rendering (it raised, or passed a bound of `JinjaLimits`), the same messages in
    /// ChatML and the reason. The turn is never lost to a template.
    public func prompt(for messages: [ChatMessage], using template: ChatTemplate? = nil) -> Prompt {
        let chosen = template ?? self.template
        do {
            return Prompt(tokens: try applyChatTemplate(messages, using: chosen))
        } catch {
            let fallback = ChatMLTemplate()
            let tokens = tokenizer.encode(fallback.render(messages, addGenerationPrompt: true), addSpecial: false, parseSpecial: true)
            return Prompt(tokens: tokens, warning: "the chat template '\(chosen.name)' failed while rendering (\(error)); using ChatML for this prompt")
        }
    }

    public struct Request: Sendable {
        public var sequence: SequenceID
        /// The whole context: what the cache already holds for `sequence` is reused.
        public var context: [TokenID]
        public var sampling = SamplingParameters()
        public var maxTokens = 512
        public var stopStrings: [String] = []
        /// Sequences a full pool must not preempt besides this one, asked when it happens
        /// (the chat answers with the conversation the user is looking at).
        public var protected: @Sendable () -> Set<SequenceID> = { [] }

        public init(sequence: SequenceID, context: [TokenID]) {
            self.sequence = sequence
            self.context = context
        }
    }

    /// Generates a reply to `request.context`. Events arrive as the work happens; the stream
    /// ends after `.finished`. Cancelling the consuming task (or dropping the stream) stops
    /// the generation before its next token.
    ///
    /// `stop`, if given, stops the generation the same way but keeps the stream open, so the
    /// final `.finished(.cancelled, …)` still arrives.
    public func generate(_ request: Request, stop: StopSignal? = nil) -> AsyncStream<GenerationEvent> {
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream(bufferingPolicy: .unbounded)
        let flag = stop ?? StopSignal()
        continuation.onTermination = { _ in flag.stop() }
        queue.async { [self] in
            run(request, cancelled: flag) { continuation.yield($0) }
            continuation.finish()
        }
        return stream
    }

    /// The generation loop, synchronous, on the engine's queue.
    private func run(_ r: Request, cancelled: StopSignal, emit: @escaping (GenerationEvent) -> Void) {
        var stats = GenerationStats()
        stats.promptTokens = r.context.count
        let start = DispatchTime.now()
        func seconds(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9 }
        func finish(_ reason: FinishReason) {
            let snapshot = model.cache.snapshot()
            stats.kvBlocksInUse = snapshot.usedBlocks
            stats.kvBlocksTotal = snapshot.totalBlocks
            emit(.finished(reason, stats))
        }
        guard !r.context.isEmpty else { return finish(.failed("the prompt is empty")) }
        // A prompt past the model's context fails before any of it is computed.
        let contextLength = model.config.contextLength
        guard r.context.count < contextLength else {
            return finish(.failed("the prompt is \(r.context.count) tokens, more than the model's context of \(contextLength) leaves room for (at least one token must follow)"))
        }
        // A prompt the whole pool cannot hold fails before it preempts anything.
        let poolTokens = model.cache.pool.blockCount * model.cache.layout.blockTokens
        guard r.context.count < poolTokens else {
            return finish(.failed("KV cache is full: the prompt needs \(r.context.count + 1) tokens, the whole pool holds \(poolTokens) (raise --kv-mem)"))
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
                }
            }
        }

        // Prefill.
        var logits: UnsafeBufferPointer<Float>
        do {
            logits = try preemptingWhenFull {
                try model.transformer.evaluate(r.sequence, context: r.context, progress: { done in
                    if cancelled.isCancelled { throw CancellationError() }
                    emit(.promptProgress(done: done, total: r.context.count))
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
        var history = r.context
        history.reserveCapacity(r.context.count + min(r.maxTokens, model.transformer.config.contextLength))
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
            } catch {
                stats.decodeSeconds = seconds(since: decodeStart)
                return finish(.failed("\(error)"))
            }
        }
    }
}

/// Asks a generation to stop before its next token; set from any thread.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    public init() {}
    public func stop() { lock.lock(); value = true; lock.unlock() }
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
