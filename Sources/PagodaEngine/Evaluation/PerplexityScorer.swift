import Foundation

/// Perplexity as `llama-perplexity` defines it, so the numbers compare: the text is
/// tokenized once and cut into chunks of `contextTokens`; each chunk is evaluated from an
/// empty context, its first token replaced by BOS where the model adds one, and only the
/// second half is scored: the logits at positions n/2 … n−2 predict tokens n/2+1 … n−1.
/// PPL = exp(mean negative log-likelihood); its error is PPL × the standard error of that
/// mean, as llama-perplexity prints it.
public struct PerplexityScorer {
    public var contextTokens: Int
    /// At most this many chunks (nil: every whole chunk of the text).
    public var maxChunks: Int?
    /// The token each chunk starts with, when the model adds a BOS.
    public var bos: TokenID?

    public init(contextTokens: Int = 512, maxChunks: Int? = nil, bos: TokenID? = nil) {
        self.contextTokens = contextTokens
        self.maxChunks = maxChunks
        self.bos = bos
    }

    /// One scored position, handed to `observe` while its logits are valid.
    public struct ScoredToken {
        /// Index among all scored tokens, from 0.
        public let index: Int
        /// The token that follows, which the logits predict.
        public let target: TokenID
        public let logits: UnsafeBufferPointer<Float>
        /// -log p(target), from a log-softmax in Double.
        public let negativeLogLikelihood: Double
    }

    public struct Result: Sendable, Codable, Equatable {
        public var chunks = 0
        public var scoredTokens = 0
        public var sumNLL = 0.0
        public var sumNLLSquared = 0.0

        public var meanNLL: Double { scoredTokens > 0 ? sumNLL / Double(scoredTokens) : .nan }
        public var perplexity: Double { exp(meanNLL) }
        /// PPL × standard error of the mean NLL (llama-perplexity's "±").
        public var perplexityError: Double {
            guard scoredTokens > 1 else { return .nan }
            let variance = sumNLLSquared / Double(scoredTokens) - meanNLL * meanNLL
            return variance > 0 ? sqrt(variance / Double(scoredTokens - 1)) * perplexity : 0
        }
    }

    /// Chunks the text gives: whole chunks only, at most `maxChunks`.
    public func chunkCount(tokens: Int) -> Int {
        let whole = tokens / max(1, contextTokens)
        return maxChunks.map { min($0, whole) } ?? whole
    }

    /// Scores `tokens`. `evaluate(chunk, each)` runs one chunk from an empty context and
    /// calls `each(position, logits)` for every position; `observe` sees each scored token
    /// (for KL divergence); `chunkDone` gets the running result after each chunk.
    public func score(_ tokens: [TokenID],
                      evaluate: ([TokenID], (Int, UnsafeBufferPointer<Float>) -> Void) throws -> Void,
                      observe: (ScoredToken) throws -> Void = { _ in },
                      chunkDone: (Result) throws -> Void = { _ in }) throws -> Result {
        let n = contextTokens
        guard n >= 4 else { throw PerplexityError.contextTooSmall(n) }
        let chunks = chunkCount(tokens: tokens.count)
        guard chunks > 0 else { throw PerplexityError.textTooShort(tokens: tokens.count, needed: n) }
        let first = n / 2
        var result = Result()
        try withoutActuallyEscaping(observe) { observe in
            for c in 0..<chunks {
                var chunk = Array(tokens[(c * n)..<((c + 1) * n)])
                if let bos { chunk[0] = bos }
                var failure: Error?
                try evaluate(chunk) { position, logits in
                    guard failure == nil, position >= first, position < n - 1 else { return }
                    let target = tokens[c * n + position + 1]
                    let nll = Self.negativeLogLikelihood(logits, target: target)
                    do {
                        try observe(ScoredToken(index: result.scoredTokens, target: target, logits: logits, negativeLogLikelihood: nll))
                    } catch { failure = error }
                    result.sumNLL += nll
                    result.sumNLLSquared += nll * nll
                    result.scoredTokens += 1
                }
                if let failure { throw failure }
                result.chunks += 1
                try chunkDone(result)
            }
        }
        return result
    }

    /// -log softmax(logits)[target], computed in Double.
    public static func negativeLogLikelihood(_ logits: UnsafeBufferPointer<Float>, target: TokenID) -> Double {
        logSumExp(logits) - Double(logits[Int(target)])
    }

    /// log Σ exp(logits), in Double, shifted by the maximum.
    public static func logSumExp(_ logits: UnsafeBufferPointer<Float>) -> Double {
        var maximum = -Float.infinity
        for v in logits where v > maximum { maximum = v }
        var sum = 0.0
        let m = Double(maximum)
        for v in logits { sum += exp(Double(v) - m) }
        return m + log(sum)
    }
}

public enum PerplexityError: Error, CustomStringConvertible, Equatable {
    case contextTooSmall(Int)
    case textTooShort(tokens: Int, needed: Int)
    case baseMismatch(String)
    case badBaseFile(String)

    public var description: String {
        switch self {
        case .contextTooSmall(let n): "--ctx \(n) is too small: at least 4 tokens (llama-perplexity uses 512)"
        case .textTooShort(let tokens, let needed): "the text is \(tokens) tokens, less than one chunk of \(needed): give a longer file or a smaller --ctx"
        case .baseMismatch(let what): "the KL base was made differently: \(what). Make it again with the same --file, --ctx and --chunks"
        case .badBaseFile(let what): "not a KL base file made by pagoda perplexity --kl-base: \(what)"
        }
    }
}
