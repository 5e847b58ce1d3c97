import Foundation

/// The engine's public face: a loaded model, its tokenizer and chat template, and
/// generation as a stream of events. All model work runs on one serial queue, so any number
/// of conversations can call in from any thread.
public final class Engine: @unchecked Sendable {
    public let model: LanguageModel
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    private let queue = DispatchQueue(label: "pagoda.engine", qos: .userInitiated)

    public init(model: LanguageModel, template: ChatTemplate? = nil) throws {
        self.model = model
        tokenizer = try Tokenizer(metadata: model.file.metadata)
        self.template = template ?? ChatMLTemplate()
    }

    public convenience init(path: String, options: LanguageModel.Options = .init(), template: ChatTemplate? = nil) throws {
        try self.init(model: LanguageModel(path: path, options: options), template: template)
    }

    /// The prompt tokens for `messages` in the model's chat format, special tokens parsed.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws -> [TokenID] {
        let text = try template.render(messages, addGenerationPrompt: addGenerationPrompt)
        return tokenizer.encode(text, addSpecial: true, parseSpecial: true)
    }

    public struct Request: Sendable {
        public var sequence: SequenceID
        /// The whole context: what the cache already holds for `sequence` is reused.
        public var context: [TokenID]
        public var sampling = SamplingParameters()
        public var maxTokens = 512
        public var stopStrings: [String] = []

        public init(sequence: SequenceID, context: [TokenID]) {
            self.sequence = sequence
            self.context = context
        }
    }

    /// Generates a reply to `request.context`. Events arrive as the work happens; the stream
    /// ends after `.finished`. Cancelling the consuming task (or dropping the stream) stops
    /// the generation before its next token.
    public func generate(_ request: Request) -> AsyncStream<GenerationEvent> {
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream(bufferingPolicy: .unbounded)
        let flag = CancellationFlag()
        continuation.onTermination = { _ in flag.cancel() }
        queue.async { [self] in
            run(request, cancelled: flag) { continuation.yield($0) }
            continuation.finish()
        }
        return stream
    }

    /// The generation loop, synchronous, on the engine's queue.
    private func run(_ r: Request, cancelled: CancellationFlag, emit: @escaping (GenerationEvent) -> Void) {
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

        // Prefill.
        var logits: UnsafeBufferPointer<Float>
        do {
            logits = try model.transformer.evaluate(r.sequence, context: r.context, progress: { done in
                if cancelled.isCancelled { throw CancellationError() }
                emit(.promptProgress(done: done, total: r.context.count))
            })
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
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var stops = StopStringFilter(r.stopStrings)
        let decodeStart = DispatchTime.now()
        while true {
            if cancelled.isCancelled { return finish(.cancelled) }
            let token = sampler.sample(logits, history: history[...])
            stats.generatedTokens += 1
            if stats.generatedTokens == 1 { stats.timeToFirstTokenSeconds = seconds(since: start) }
            if tokenizer.isEndOfGeneration(token) {
                if let rest = stops.finish(detokenizer.flush()), !rest.isEmpty { emit(.text(rest)) }
                stats.decodeSeconds = seconds(since: decodeStart)
                return finish(.endOfGeneration)
            }
            history.append(token)
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
                try model.transformer.forward([token], sequence: r.sequence, logits: .last)
                logits = model.transformer.logits
            } catch {
                stats.decodeSeconds = seconds(since: decodeStart)
                return finish(.failed("\(error)"))
            }
        }
    }
}

/// A flag set from any thread (stream termination) and read by the generation loop.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func cancel() { lock.lock(); value = true; lock.unlock() }
    var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
