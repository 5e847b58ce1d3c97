import Foundation

/// The engine's one door: a loaded model with its tokenizer and chat template, the
/// conversations it holds in its paged KV cache, generation as a stream of events, and the
/// cache's picture as a stream of snapshots. The CLI commands, the chat and the server are
/// clients of this API alone; the model, its cache and its transformer stay inside.
///
/// All model work (rendering templates, tokenizing prompts, forward passes) runs on one
/// serial queue, so any number of conversations can call in from any thread. The
/// conversation calls (`createConversation`, `fork`, `release`, `truncate`) are quick and
/// thread-safe; they take the cache's lock, never the queue.
public final class Engine: @unchecked Sendable {
    let model: LanguageModel
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    /// Why the model's own template is not used, when it is not (it did not parse).
    public let templateWarning: String?
    /// The model and how it runs, for display.
    public let facts: ModelFacts
    let queue = DispatchQueue(label: "pagoda.engine", qos: .userInitiated)
    let snapshots = KVSnapshotFeed()
    let scheduler = Scheduler()

    /// Loads the GGUF model at `path`. `template` overrides the model's
    /// `tokenizer.chat_template`; without either, ChatML.
    public convenience init(path: String, options: EngineOptions = .init(), template: ChatTemplate? = nil) throws {
        try self.init(file: GGUFFile(path: path), options: options, template: template)
    }

    /// As `init(path:)`, from a file already mapped (or built in memory).
    public convenience init(file: GGUFFile, options: EngineOptions = .init(), template: ChatTemplate? = nil) throws {
        try self.init(model: LanguageModel(file: file, options: options), options: options, template: template)
    }

    init(model: LanguageModel, options: EngineOptions = .init(), template: ChatTemplate? = nil) throws {
        self.model = model
        tokenizer = try Tokenizer(metadata: model.file.metadata)
        facts = ModelFacts(model: model, options: options)
        if let template {
            self.template = template
            templateWarning = nil
        } else if let name = options.chatTemplate {
            self.template = try Self.template(named: name, vocabulary: tokenizer.vocabulary)
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
        do {
            return (try JinjaChatTemplate(source: source, name: "model", bosToken: vocabulary.bosText, eosToken: vocabulary.eosText), nil)
        } catch {
            return (ChatMLTemplate(), "the model's chat template does not parse (\(error)); using ChatML instead")
        }
    }

    /// A template by name (`chatml`) or from a Jinja file, for `--chat-template`.
    public func template(named nameOrPath: String) throws -> ChatTemplate {
        try Self.template(named: nameOrPath, vocabulary: tokenizer.vocabulary)
    }

    static func template(named nameOrPath: String, vocabulary v: Vocabulary) throws -> ChatTemplate {
        if nameOrPath.lowercased() == "chatml" { return ChatMLTemplate() }
        let source = try String(contentsOfFile: nameOrPath, encoding: .utf8)
        return try JinjaChatTemplate(source: source, name: nameOrPath, bosToken: v.bosText, eosToken: v.eosText)
    }

    // MARK: - Conversations

    /// A new, empty conversation in the KV cache.
    public func createConversation() -> SequenceID {
        let id = model.cache.createSequence()
        publishSnapshot()
        return id
    }

    /// A new conversation sharing every block of `id` (copy-on-write when either writes).
    public func fork(_ id: SequenceID) throws -> SequenceID {
        let copy = try model.cache.fork(id)
        publishSnapshot()
        return copy
    }

    /// Drops the conversation and frees the blocks only it held (full ones stay in the
    /// prefix cache until reused). Releasing an unknown id does nothing. A generation running
    /// on it is stopped, and the blocks are freed when it has ended (its stream still gets
    /// `.finished(.cancelled, …)`).
    public func release(_ id: SequenceID) {
        if scheduler.releaseAfterRequest(id) { return }
        model.cache.release(id)
        publishSnapshot()
    }

    /// Keeps the first `tokens` tokens of the conversation and frees the blocks past them.
    public func truncate(_ id: SequenceID, to tokens: Int) throws {
        try model.cache.truncate(id, to: tokens)
        publishSnapshot()
    }

    /// The token ids the conversation holds in the cache.
    public func tokens(of id: SequenceID) throws -> [TokenID] { try model.cache.tokens(of: id) }

    // MARK: - The cache's picture

    /// The KV cache now: every block's state, owners and fill, and every conversation's
    /// block table. O(blocks + conversations' blocks); safe from any thread.
    public func kvSnapshot() -> KVCacheSnapshot { model.cache.snapshot() }

    /// Snapshots as the cache changes: the current one at once, then one after each change
    /// (a forward pass, a preemption, a conversation made, forked, truncated or released),
    /// at most every `KVSnapshotFeed.minimumInterval` during generation. A slow consumer
    /// gets the newest only. The stream ends when the consuming task is cancelled.
    public func kvSnapshots() -> AsyncStream<KVCacheSnapshot> {
        snapshots.subscribe(current: kvSnapshot())
    }

    /// Sends the current snapshot to the subscribers; `throttled` ones are skipped when the
    /// last was sent less than `KVSnapshotFeed.minimumInterval` ago.
    func publishSnapshot(throttled: Bool = false) {
        snapshots.publish(throttled: throttled) { model.cache.snapshot() }
    }

    /// What the scheduler has done: requests running and waiting, tokens, prefix-cache
    /// lookups and hits, preemptions, batch sizes. Safe from any thread.
    public func counters() -> EngineCounters { scheduler.snapshot() }

    // MARK: - Direct evaluation

    /// Logits after each of `ids` in a new conversation of its own, released afterwards:
    /// `each` gets every row with its index (valid only during the call), and the last row
    /// is returned. For comparisons with other engines (`pagoda logits`) and scoring. Runs
    /// on the engine's queue, after the generations running, and blocks the caller (so it
    /// must not be called from `each` or another callback on that queue).
    public func logits(of ids: [TokenID], each: ((Int, UnsafeBufferPointer<Float>) -> Void)? = nil) throws -> [Float] {
        try queue.sync {
            let sequence = model.cache.createSequence()
            defer { model.cache.release(sequence) }
            return Array(try model.transformer.evaluate(sequence, context: ids, each: each))
        }
    }
}
