import Foundation

/// Continuous batching over the paged pool (after vLLM v1's scheduler). Every request the
/// engine is given joins one loop on the engine's queue; each step is one forward pass
/// carrying the next token of every decoding request and, in the token budget left
/// (`maxChunk`), chunks of prompts, oldest request first. The weights are read once per step
/// for all of them.
///
/// When the pool is full, an idle sequence (a conversation no request is running) is
/// preempted first, least recently used; then the newest running request, whose blocks are
/// freed and whose tokens are recomputed when room returns. It is never dropped: it waits,
/// and only its timing shows it. A request the whole pool cannot hold fails alone.
final class Scheduler: @unchecked Sendable {
    private let lock = NSLock()
    private var inbox: [ScheduledRequest] = []
    /// Requests submitted whose prompts are still being prepared (counted as waiting).
    private var preparing = 0
    private var looping = false
    private var nextOrder = 0
    private var counters = EngineCounters()
    /// Requests admitted and not finished, oldest first. Touched only on the engine's queue.
    private var active: [ScheduledRequest] = []
    /// Sequences a request submitted and not finished runs on, with its stop signal; and
    /// those released meanwhile, freed when their request ends.
    private var busy: [SequenceID: StopSignal] = [:]
    private var releaseWhenDone: Set<SequenceID> = []
    /// Renders and tokenizes prompts, one at a time in submission order, beside the engine's
    /// queue: a huge paste (seconds of tokenizing) delays the requests behind it, never the
    /// steps of those already running. (Internal for tests, which hold it.)
    let prompts = DispatchQueue(label: "pagoda.engine.prompts", qos: .userInitiated)

    /// Queues `request`: its prompt is prepared on `prompts`, then it joins the loop on
    /// `engine`'s queue (started if it is not running).
    func submit(_ request: Engine.Request, stop: StopSignal, engine: Engine,
                emit: @escaping (GenerationEvent) -> Void, close: @escaping () -> Void) {
        lock.lock()
        let r = ScheduledRequest(request, tokenizer: engine.tokenizer, stop: stop, order: nextOrder, emit: emit, close: close)
        nextOrder += 1
        busy[request.sequence] = stop
        counters.waiting += 1
        preparing += 1
        lock.unlock()
        prompts.async {
            // A request stopped before its turn here (a client gone) is not prepared.
            if !r.stop.isCancelled { r.report = engine.preparePrompt(&r.request) }
            self.lock.lock()
            self.preparing -= 1
            self.inbox.append(r)
            let start = !self.looping
            self.looping = true
            self.lock.unlock()
            if start { engine.queue.async { self.loop(engine) } }
        }
    }

    /// For `Engine.release`: when a request runs on `id`, stops it and frees the sequence
    /// when it ends (freeing it under a running step would fail the whole batch) and
    /// returns true; false when no request runs on it.
    func releaseAfterRequest(_ id: SequenceID) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let stop = busy[id] else { return false }
        stop.stop()
        releaseWhenDone.insert(id)
        return true
    }

    /// The counters now; safe from any thread.
    func snapshot() -> EngineCounters {
        lock.lock()
        defer { lock.unlock() }
        return counters
    }

    private func count(_ change: (inout EngineCounters) -> Void) {
        lock.lock()
        change(&counters)
        lock.unlock()
    }

    /// Steps until no request is left, then stops (a later `submit` starts it again).
    private func loop(_ engine: Engine) {
        while true {
            lock.lock()
            let arrived = inbox
            inbox.removeAll()
            if arrived.isEmpty && active.isEmpty {
                looping = false
                lock.unlock()
                return
            }
            lock.unlock()
            for r in arrived { admit(r, engine) }
            step(engine)
        }
    }

    // MARK: - Admission

    /// Reports the prepared prompt and refuses what can never run: an empty prompt, one past
    /// the context or the whole pool. One stopped before it was prepared ends cancelled.
    private func admit(_ r: ScheduledRequest, _ engine: Engine) {
        guard let report = r.report else {
            active.append(r)
            return finish(r, .cancelled, engine)
        }
        r.report = nil
        r.emit(.prompt(report))
        r.tokens = report.tokens
        r.promptCount = report.tokens.count
        r.stats.promptTokens = report.tokens.count
        r.tokens.reserveCapacity(r.promptCount + min(r.request.maxTokens, engine.facts.contextLength))
        active.append(r)
        let contextLength = engine.facts.contextLength, poolTokens = engine.facts.kvPoolTokens
        if r.tokens.isEmpty {
            finish(r, .failed("the prompt is empty"), engine)
        } else if r.tokens.count >= contextLength {
            finish(r, .failed("the prompt is \(r.tokens.count) tokens, more than the model's context of \(contextLength) leaves room for (at least one token must follow)"), engine)
        } else if r.tokens.count >= poolTokens {
            finish(r, .failed("KV cache is full: the prompt needs \(r.tokens.count + 1) tokens, the whole pool holds \(poolTokens)"), engine)
        } else {
            count { $0.promptTokens += r.promptCount }
        }
    }

    // MARK: - One step

    private func step(_ engine: Engine) {
        for r in active where r.stop.isCancelled { finish(r, .cancelled, engine) }
        let cache = engine.model.cache
        let blockTokens = cache.layout.blockTokens
        // A waiting request (new, or preempted) resumes when the pool has room for its tokens,
        // or when nothing else runs; resuming asks the cache what it still holds. Room given
        // to one resumed in this step is not offered to the next.
        var promised = 0
        for r in active where r.needsPrepare {
            // A second request on a sequence waits until the first has ended.
            guard !active.contains(where: { $0 !== r && $0.sequence == r.sequence && (!$0.needsPrepare || $0.order < r.order) }) else { continue }
            let othersRun = active.contains { !$0.needsPrepare && $0 !== r }
            let room = cache.pool.freeCount * blockTokens - promised
            guard !othersRun || room >= r.tokens.count + blockTokens else { continue }
            do {
                r.computed = try cache.prepare(r.sequence, context: r.tokens)
            } catch {
                finish(r, .failed("\(error)"), engine)
                continue
            }
            promised += r.uncomputed + blockTokens
            r.needsPrepare = false
            if !r.prepared {
                r.prepared = true
                let hit = (try? cache.lastPrefixHit(of: r.sequence)) ?? .init()
                r.stats.reusedPromptTokens = hit.reusedTokens
                r.stats.prefixCacheHitTokens = hit.cachedTokens
                r.stats.prefixCacheHitBlocks = hit.cachedBlocks
                count {
                    $0.prefixQueryTokens += r.promptCount
                    $0.prefixHitTokens += hit.cachedTokens
                    $0.prefixHitBlocks += hit.cachedBlocks
                }
                r.emit(.promptProgress(done: r.computed, total: r.promptCount))
            }
        }

        var batch = plan(engine)
        guard !batch.isEmpty else { return publishCounts() }
        var logits: Transformer.BatchLogits?
        while !batch.isEmpty {
            do {
                logits = try engine.model.transformer.forward(batch: batch.map { r, n in
                    .init(sequence: r.sequence, tokens: r.tokens[r.computed..<(r.computed + n)])
                })
                break
            } catch KVCacheError.outOfBlocks(let needed, let free, let b) {
                if !makeRoom(engine) {
                    // Nothing is left to preempt: no request but the oldest holds blocks. The
                    // others in this pass wait for it; the oldest fails only when it was
                    // alone in the pass, so it alone does not fit the pool.
                    let oldest = active.min { $0.order < $1.order }
                    for (r, _) in batch where r !== oldest {
                        try? cache.truncate(r.sequence, to: 0)
                        r.computed = 0
                        r.needsPrepare = true
                    }
                    if batch.count == 1, let only = batch.first?.request, only === oldest {
                        finish(only, .failed("\(KVCacheError.outOfBlocks(needed: needed, free: free, blockTokens: b))"), engine)
                    }
                }
                batch.removeAll { entry in entry.request.needsPrepare || !active.contains { $0 === entry.request } }
            } catch {
                for (r, _) in batch { finish(r, .failed("\(error)"), engine) }
                batch.removeAll()
            }
        }
        guard let logits else { return publishCounts() }
        count {
            $0.steps += 1
            $0.batchedSequences += batch.count
            $0.batchedTokens += batch.reduce(0) { $0 + $1.count }
        }
        for (i, (r, n)) in batch.enumerated() {
            r.computed += n
            if !r.decoding {
                r.emit(.promptProgress(done: min(r.computed, r.promptCount), total: r.promptCount))
            }
            if r.computed == r.tokens.count { advance(r, logits[i], engine) }
        }
        engine.publishSnapshot(throttled: true)
        publishCounts()
    }

    /// The next pass: one token for each decoding request, then prompt chunks in the
    /// budget left, oldest first. A request that would pass the model's context fails here.
    private func plan(_ engine: Engine) -> [(request: ScheduledRequest, count: Int)] {
        var budget = engine.model.transformer.maxChunk
        var batch: [(request: ScheduledRequest, count: Int)] = []
        let ready = active.filter { !$0.needsPrepare }
        for r in ready where r.uncomputed == 1 && budget > 0 {
            if r.tokens.count > engine.facts.contextLength {
                finish(r, .failed("\(KVCacheError.sequenceTooLong(needed: r.tokens.count, limit: engine.facts.contextLength))"), engine)
                continue
            }
            batch.append((r, 1))
            budget -= 1
        }
        for r in ready where r.uncomputed > 1 && budget > 0 {
            let n = min(r.uncomputed, budget)
            batch.append((r, n))
            budget -= n
        }
        return batch
    }

    /// Frees blocks for a pass that did not fit: an idle sequence first (least recently
    /// used), then the newest request holding blocks, which waits and is recomputed. The
    /// oldest request is never preempted: false when only it holds blocks.
    private func makeRoom(_ engine: Engine) -> Bool {
        let cache = engine.model.cache
        var keep = Set(active.map(\.sequence))
        for r in active { keep.formUnion(r.request.protected()) }
        if let victim = cache.preemptLeastRecentlyUsed(except: keep) {
            for r in active where !r.needsPrepare { r.emit(.preempted(victim.id, freedBlocks: victim.freedBlocks)) }
            count { $0.preemptions += 1 }
            engine.publishSnapshot()
            return true
        }
        let oldest = active.min { $0.order < $1.order }
        let holders = active.filter { $0 !== oldest && ((try? cache.blockTable(of: $0.sequence).isEmpty) == false) }
        guard let newest = holders.max(by: { $0.order < $1.order }) else { return false }
        try? cache.truncate(newest.sequence, to: 0)
        newest.computed = 0
        newest.needsPrepare = true
        count { $0.preemptions += 1 }
        engine.publishSnapshot()
        return true
    }

    // MARK: - Sampling and finishing

    /// Samples the token after `r`'s tokens and reports it; feeds it back next step unless
    /// the reply ended.
    private func advance(_ r: ScheduledRequest, _ logits: UnsafeBufferPointer<Float>, _ engine: Engine) {
        if r.decodeStart == nil {
            r.stats.prefillSeconds = r.seconds(since: r.start)
            r.decodeStart = DispatchTime.now()
        }
        let token = r.sampler.sample(logits, history: r.tokens[...])
        r.stats.generatedTokens += 1
        count { $0.generatedTokens += 1 }
        if r.stats.generatedTokens == 1 { r.stats.timeToFirstTokenSeconds = r.seconds(since: r.start) }
        if engine.tokenizer.isEndOfGeneration(token) {
            if let rest = r.stops.finish(r.detokenizer.flush()), !rest.isEmpty { r.emit(.text(rest)) }
            return finish(r, .endOfGeneration, engine)
        }
        r.tokens.append(token)
        r.emit(.decoded(tokens: r.stats.generatedTokens, seconds: r.seconds(since: r.decodeStart!)))
        let (text, stopped) = r.stops.filter(r.detokenizer.append(token))
        if !text.isEmpty { r.emit(.text(text)) }
        if let stopped { return finish(r, .stopString(stopped), engine) }
        if r.stats.generatedTokens >= r.request.maxTokens {
            if let rest = r.stops.finish(r.detokenizer.flush()), !rest.isEmpty { r.emit(.text(rest)) }
            return finish(r, .length, engine)
        }
    }

    /// Reports the end, closes the stream and drops the request; its sequence stays with
    /// whatever it computed (the caller releases or continues it).
    private func finish(_ r: ScheduledRequest, _ reason: FinishReason, _ engine: Engine) {
        guard let i = active.firstIndex(where: { $0 === r }) else { return }
        active.remove(at: i)
        if let start = r.decodeStart { r.stats.decodeSeconds = r.seconds(since: start) }
        let snapshot = engine.model.cache.snapshot()
        r.stats.kvBlocksInUse = snapshot.usedBlocks
        r.stats.kvBlocksTotal = snapshot.totalBlocks
        // Counted before the stream ends, so a client that saw the end sees the counts.
        lock.lock()
        if busy[r.sequence] === r.stop { busy.removeValue(forKey: r.sequence) }
        let release = releaseWhenDone.remove(r.sequence) != nil
        counters.requestsFinished += 1
        lock.unlock()
        if release { engine.model.cache.release(r.sequence) }
        publishCounts()
        engine.publishSnapshot()
        r.emit(.finished(reason, r.stats))
        r.close()
    }

    private func publishCounts() {
        let running = active.filter { !$0.needsPrepare }.count, waiting = active.count - running
        lock.lock()
        counters.running = running
        counters.waiting = waiting + inbox.count + preparing
        lock.unlock()
    }
}
