import Foundation

/// Prompt-processing and generation speed, in the spirit of llama-bench: `pp` runs `p`
/// prompt tokens in one forward pass, `tg` then generates `n` tokens one at a time; each is
/// repeated after a warm-up and reported as median, min and max tokens per second.
public struct Benchmark {
    public struct Result: Sendable, Codable, Equatable {
        public let tokens: Int
        public let median: Double
        public let min: Double
        public let max: Double

        init(tokens: Int, rates: [Double]) {
            let sorted = rates.sorted()
            self.tokens = tokens
            median = sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            min = sorted.first ?? 0
            max = sorted.last ?? 0
        }
    }

    public let engine: Engine

    public init(engine: Engine) {
        self.engine = engine
    }

    /// Runs `repetitions` (after one warm-up) of pp`promptTokens` and tg`generateTokens`,
    /// on the engine's queue (after any generation in flight). Each repetition uses a
    /// conversation of its own with random token ids, released after it.
    public func run(promptTokens p: Int, generateTokens n: Int, repetitions: Int) throws -> (pp: Result, tg: Result) {
        try engine.queue.sync { try measure(promptTokens: p, generateTokens: n, repetitions: repetitions) }
    }

    private func measure(promptTokens p: Int, generateTokens n: Int, repetitions: Int) throws -> (pp: Result, tg: Result) {
        let model = engine.model
        var random = SeededRandom(seed: 1)
        let vocabulary = model.config.vocabularySize
        var ppRates: [Double] = [], tgRates: [Double] = []
        for rep in 0...repetitions {
            let prompt = (0..<p).map { _ in TokenID(random.next() % UInt64(vocabulary)) }
            let sequence = model.cache.createSequence()
            defer { model.cache.release(sequence) }
            let t0 = DispatchTime.now()
            var start = 0
            while start < p {
                let end = Swift.min(p, start + model.transformer.maxChunk)
                try model.transformer.forward(prompt[start..<end], sequence: sequence, logits: end == p ? .last : .none)
                start = end
            }
            let t1 = DispatchTime.now()
            var token: [TokenID] = [argmax(model.transformer.logits)]  // one array for the whole loop
            for _ in 0..<n {
                try model.transformer.forward(token[...], sequence: sequence, logits: .last)
                token[0] = argmax(model.transformer.logits)
            }
            let t2 = DispatchTime.now()
            guard rep > 0 else { continue }  // warm-up
            ppRates.append(Double(p) / seconds(t0, t1))
            tgRates.append(Double(n) / seconds(t1, t2))
        }
        return (Result(tokens: p, rates: ppRates), Result(tokens: n, rates: tgRates))
    }

    /// Decoding `streams` sequences together, as the server's continuous batching does (and
    /// llama-batched-bench's S_TG): each sequence first holds `promptTokens` random tokens,
    /// then every step is one batched forward pass with one token of each. The rate is all
    /// streams' tokens per second, median of `repetitions` after a warm-up.
    public func parallelDecode(streams: Int, promptTokens p: Int, generateTokens n: Int, repetitions: Int) throws -> Result {
        try engine.queue.sync {
            let model = engine.model
            precondition(streams >= 1 && streams <= model.transformer.maxChunk, "1…\(model.transformer.maxChunk) streams")
            var random = SeededRandom(seed: 2)
            let vocabulary = model.config.vocabularySize
            var rates: [Double] = []
            for rep in 0...repetitions {
                let sequences = (0..<streams).map { _ in model.cache.createSequence() }
                defer { for s in sequences { model.cache.release(s) } }
                var next: [TokenID] = []
                for s in sequences {
                    let prompt = (0..<p).map { _ in TokenID(random.next() % UInt64(vocabulary)) }
                    try model.transformer.forward(prompt[...], sequence: s, logits: .last)
                    next.append(argmax(model.transformer.logits))
                }
                let t0 = DispatchTime.now()
                for _ in 0..<n {
                    let logits = try model.transformer.forward(batch: zip(sequences, next).map { Transformer.Segment(sequence: $0, tokens: [$1][...]) })
                    for i in 0..<streams { next[i] = argmax(logits[i]) }
                }
                let t1 = DispatchTime.now()
                if rep > 0 { rates.append(Double(streams * n) / seconds(t0, t1)) }
            }
            return Result(tokens: streams * n, rates: rates)
        }
    }

    private func seconds(_ a: DispatchTime, _ b: DispatchTime) -> Double {
        Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9
    }

    private func argmax(_ x: UnsafeBufferPointer<Float>) -> TokenID {
        var best = 0
        for i in 1..<x.count where x[i] > x[best] { best = i }
        return TokenID(best)
    }

    /// Tokenizer throughput: MB of `text` encoded per second (median of `repetitions`).
    public static func tokenizer(_ tokenizer: Tokenizer, text: String, repetitions: Int) -> (megabytesPerSecond: Double, tokens: Int) {
        var rates: [Double] = []
        var count = 0
        let bytes = Double(text.utf8.count)
        for _ in 0..<repetitions {
            let t0 = DispatchTime.now()
            count = tokenizer.encode(text).count
            let t1 = DispatchTime.now()
            rates.append(bytes / 1e6 / (Double(t1.uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9))
        }
        return (Result(tokens: count, rates: rates).median, count)
    }
}
