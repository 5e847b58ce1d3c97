import Foundation

/// How the next token is chosen. Names and defaults follow llama.cpp's flags.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 picks the most likely token (greedy).
    public var temperature: Float = 0.8
    /// Keep the `topK` most likely tokens (0: all).
    public var topK = 40
    /// Keep the smallest set whose probability reaches `topP` (1: all).
    public var topP: Float = 0.95
    /// Drop tokens less likely than `minP` × the most likely one (0: none).
    public var minP: Float = 0.05
    /// Divide positive logits (multiply negative ones) of recently seen tokens (1: off).
    public var repeatPenalty: Float = 1
    /// Subtract from logits of tokens seen in the window (0: off).
    public var presencePenalty: Float = 0
    /// Subtract, per occurrence in the window (0: off).
    public var frequencyPenalty: Float = 0
    /// How many recent tokens the penalties look at.
    public var penaltyWindow = 64
    public var seed: UInt64 = 0xC0FFEE

    public init() {}

    public static let greedy: SamplingParameters = {
        var p = SamplingParameters()
        p.temperature = 0
        return p
    }()

    /// The first parameter out of its range, said with the name llama.cpp's server gives it
    /// (`top_p must be between 0 and 1`); nil when every one is valid. The one check the
    /// command line, the chat's `/set` and the server share.
    public var problem: String? {
        guard temperature.isFinite else { return "temp must be a number (0 or less picks the most likely token)" }
        guard topK >= 0 else { return "top_k must be 0 or more" }
        guard (0...1).contains(topP) else { return "top_p must be between 0 and 1" }
        guard (0...1).contains(minP) else { return "min_p must be between 0 and 1" }
        guard repeatPenalty > 0, repeatPenalty.isFinite else { return "repeat_penalty must be positive" }
        guard presencePenalty.isFinite else { return "presence_penalty must be a number" }
        guard frequencyPenalty.isFinite else { return "frequency_penalty must be a number" }
        guard penaltyWindow >= 0 else { return "repeat_last_n must be 0 or more" }
        return nil
    }
}

/// The sampler chain, in llama.cpp's order: penalties → top-k → top-p → min-p →
/// temperature → draw from the distribution with a seeded generator (or argmax at
/// temperature 0). Scratch is kept between calls; sampling allocates nothing after the first.
public struct Sampler {
    public let parameters: SamplingParameters
    private var random: SeededRandom
    private var candidates: [(id: TokenID, logit: Float)] = []
    private var probabilities: [Float] = []

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = SeededRandom(seed: parameters.seed)
    }

    /// Picks the next token from `logits`, given the tokens so far (for the penalties).
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, history: ArraySlice<TokenID>) -> TokenID {
        let p = parameters
        candidates.removeAll(keepingCapacity: true)
        candidates.reserveCapacity(logits.count)
        for (i, l) in logits.enumerated() { candidates.append((TokenID(i), l)) }

        // Penalties over the last `penaltyWindow` tokens.
        // A token seen n times becomes (l / repeat, or l · repeat if negative) − presence −
        // n · frequency: the first sighting applies the first two, every sighting the last.
        if p.repeatPenalty != 1 || p.presencePenalty != 0 || p.frequencyPenalty != 0, p.penaltyWindow > 0 {
            let window = history.suffix(p.penaltyWindow)
            for (i, t) in zip(window.indices, window) where t >= 0 && Int(t) < candidates.count {
                var l = candidates[Int(t)].logit
                if !window[window.startIndex..<i].contains(t) {
                    l = l > 0 ? l / p.repeatPenalty : l * p.repeatPenalty
                    l -= p.presencePenalty
                }
                candidates[Int(t)].logit = l - p.frequencyPenalty
            }
        }

        if p.temperature <= 0 {
            var best = 0
            for i in 1..<candidates.count where candidates[i].logit > candidates[best].logit { best = i }
            return candidates[best].id
        }

        // Top-k: the k largest, sorted descending (a full sort when k is off).
        let k = p.topK > 0 ? min(p.topK, candidates.count) : candidates.count
        if k < candidates.count {
            Self.keepLargest(k, of: &candidates)
        } else {
            candidates.sort { $0.logit > $1.logit }
        }

        // Softmax of what is left (before temperature, as llama.cpp does for top-p/min-p).
        softmax(temperature: 1)
        // Top-p: the shortest prefix whose mass reaches topP.
        if p.topP < 1 {
            var mass: Float = 0
            var keep = candidates.count
            for (i, prob) in probabilities.enumerated() {
                mass += prob
                if mass >= p.topP { keep = i + 1; break }
            }
            candidates.removeLast(candidates.count - keep)
        }
        // Min-p: drop tokens below minP × the best probability.
        if p.minP > 0, let top = candidates.first {
            let threshold = top.logit + log(p.minP)
            let keep = max(1, candidates.firstIndex { $0.logit < threshold } ?? candidates.count)
            candidates.removeLast(candidates.count - keep)
        }
        // Temperature, then draw.
        softmax(temperature: p.temperature)
        let u = Float(random.nextUnit())
        var cumulative: Float = 0
        for (i, prob) in probabilities.enumerated() {
            cumulative += prob
            if u < cumulative { return candidates[i].id }
        }
        return candidates[candidates.count - 1].id
    }

    /// `probabilities[i] = softmax(candidates.logit / temperature)[i]`.
    private mutating func softmax(temperature: Float) {
        probabilities.removeAll(keepingCapacity: true)
        guard var top = candidates.first?.logit else { return }
        for c in candidates { top = max(top, c.logit) }
        var sum: Float = 0
        for c in candidates {
            let e = expf((c.logit - top) / temperature)
            probabilities.append(e)
            sum += e
        }
        for i in probabilities.indices { probabilities[i] /= sum }
    }

    /// Keeps the `k` entries with the largest logits, sorted descending, in place: a min-heap
    /// of the first `k` slots that the rest pass through. O(n log k), no allocation.
    static func keepLargest(_ k: Int, of items: inout [(id: TokenID, logit: Float)]) {
        guard k < items.count else { return items.sort { $0.logit > $1.logit } }
        guard k > 0 else { return items.removeAll(keepingCapacity: true) }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < k, items[l].logit < items[smallest].logit { smallest = l }
                if r < k, items[r].logit < items[smallest].logit { smallest = r }
                if smallest == i { return }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
        for i in k..<items.count where items[i].logit > items[0].logit {
            items.swapAt(0, i)
            siftDown(0)
        }
        items.removeLast(items.count - k)
        items.withUnsafeMutableBufferPointer { $0.sort { $0.logit > $1.logit } }
    }
}
