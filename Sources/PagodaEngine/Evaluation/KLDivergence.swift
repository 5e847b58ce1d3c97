import Foundation

/// A model's KL divergence from a base, token by token over a perplexity run, summed up as
/// `llama-perplexity --kl-divergence` does: mean (± standard error), median, 99th
/// percentile and maximum of KL(base ‖ model), how often the two agree on the top token,
/// and the ratio of their perplexities.
public struct KLDivergence {
    public let base: KLBaseFile
    public private(set) var values: [Double] = []
    public private(set) var topAgreements = 0
    private var sumNLL = 0.0

    public init(base: KLBaseFile) {
        self.base = base
        values.reserveCapacity(base.header.tokens)
    }

    /// Adds scored token `index` of the run, with the model's logits there and its NLL.
    public mutating func add(index: Int, logits: UnsafeBufferPointer<Float>, negativeLogLikelihood: Double) {
        let k = base.header.topK
        let lse = PerplexityScorer.logSumExp(logits)
        var kl = 0.0, baseMass = 0.0, modelMass = 0.0
        for j in 0..<k {
            let id = Int(base.ids[index * k + j])
            let lp = Double(base.logProbs[index * k + j])
            let lq = Double(logits[id]) - lse
            let p = exp(lp)
            kl += p * (lp - lq)
            baseMass += p
            modelMass += exp(lq)
        }
        // The rest of the vocabulary, as one outcome.
        let baseRest = max(0, 1 - baseMass), modelRest = max(1e-12, 1 - modelMass)
        if baseRest > 1e-12 { kl += baseRest * (log(baseRest) - log(modelRest)) }
        values.append(max(0, kl))
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        if best == Int(base.ids[index * k]) { topAgreements += 1 }
        sumNLL += negativeLogLikelihood
    }

    public struct Summary: Sendable, Codable, Equatable {
        public let tokens: Int
        public let mean: Double
        public let meanError: Double
        public let median: Double
        public let p99: Double
        public let maximum: Double
        /// Share of tokens where both models' most likely token is the same, 0…1.
        public let topAgreement: Double
        public let perplexity: Double
        public let basePerplexity: Double
        public var perplexityRatio: Double { perplexity / basePerplexity }
    }

    public var summary: Summary {
        let n = values.count
        let sorted = values.sorted()
        let mean = n > 0 ? values.reduce(0, +) / Double(n) : .nan
        let variance = n > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) : 0
        func quantile(_ q: Double) -> Double { n > 0 ? sorted[min(n - 1, Int((Double(n - 1) * q).rounded()))] : .nan }
        let baseNLL = base.nll.prefix(n).reduce(0.0) { $0 + Double($1) }
        return Summary(tokens: n, mean: mean, meanError: n > 1 ? sqrt(variance / Double(n)) : 0, median: quantile(0.5), p99: quantile(0.99),
                       maximum: sorted.last ?? .nan, topAgreement: n > 0 ? Double(topAgreements) / Double(n) : .nan,
                       perplexity: exp(sumNLL / Double(max(1, n))), basePerplexity: exp(baseNLL / Double(max(1, n))))
    }
}
