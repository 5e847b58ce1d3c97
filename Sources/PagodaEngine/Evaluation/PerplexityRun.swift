import Foundation

/// One model's perplexity run over a text, set up once: the text tokenized by the model's
/// tokenizer, the chunks, and the header a KL base of this run carries. `run` evaluates the
/// chunks on the model, optionally saving the distributions (a base) or measuring KL
/// divergence from a saved base. Used by `pagoda perplexity` and `pagoda compare`.
public struct PerplexityRun {
    public let engine: Engine
    public let tokens: [TokenID]
    public let scorer: PerplexityScorer
    /// What a base made by this run records, and what a base must match to be compared.
    public let header: KLBaseFile.Header

    /// Top log-probabilities kept per token in a base.
    public static let topK = 64

    public init(engine: Engine, text: String, contextTokens: Int, maxChunks: Int?) throws {
        self.engine = engine
        let tokenizer = engine.tokenizer
        tokens = tokenizer.encode(text, addSpecial: true)
        scorer = PerplexityScorer(contextTokens: contextTokens, maxChunks: maxChunks,
                                  bos: tokenizer.vocabulary.addBOS ? tokenizer.vocabulary.bos : nil)
        let chunks = scorer.chunkCount(tokens: tokens.count)
        header = KLBaseFile.Header(vocabulary: engine.facts.vocabularySize, context: contextTokens, chunks: chunks, topK: Self.topK,
                                   tokens: chunks * (contextTokens - contextTokens / 2 - 1),
                                   tokenHash: KLBaseFile.hash(Array(tokens.prefix(chunks * contextTokens))))
    }

    public var chunkCount: Int { header.chunks }

    /// A measure of KL divergence from `base`, which must come from the same run (text,
    /// tokenizer, context, chunks); otherwise one error saying what differs.
    public func divergence(from base: KLBaseFile) throws -> KLDivergence {
        guard base.header == header else {
            let h = base.header
            throw PerplexityError.baseMismatch("it has \(h.chunks) chunks of \(h.context) tokens, vocabulary \(h.vocabulary)"
                + (h.tokenHash != header.tokenHash ? ", other tokens" : "")
                + "; this run has \(header.chunks) chunks of \(header.context), vocabulary \(header.vocabulary)")
        }
        return KLDivergence(base: base)
    }

    /// Evaluates every chunk from an empty sequence, scoring as `PerplexityScorer` does;
    /// `saving` collects this model's distributions, `divergence` compares them with a
    /// base's. `isCancelled` is asked before each chunk (a cancelled run throws
    /// `CancellationError`). Runs at prefill speed. The prefix cache is not consulted:
    /// every position is computed, so every position has its logits (two chunks, or two
    /// runs, that begin alike would otherwise skip the shared start). Runs on the engine's
    /// queue, after any generation in flight; the callbacks are called there.
    public func run(saving: inout KLBaseFile?, divergence: inout KLDivergence?, isCancelled: () -> Bool = { false },
                    chunkDone: (PerplexityScorer.Result) throws -> Void = { _ in }) throws -> PerplexityScorer.Result {
        let model = engine.model
        return try engine.queue.sync { try scorer.score(tokens, evaluate: { chunk, each in
            if isCancelled() { throw CancellationError() }
            let sequence = model.cache.createSequence()
            defer { model.cache.release(sequence) }
            try withoutActuallyEscaping(each) { each in
                var start = 0
                while start < chunk.count {
                    let end = min(chunk.count, start + model.transformer.maxChunk)
                    let offset = start
                    try model.transformer.forward(chunk[start..<end], sequence: sequence, logits: .each { i, row in each(offset + i, row) })
                    start = end
                }
            }
        }, observe: { token in
            saving?.append(logits: token.logits, negativeLogLikelihood: token.negativeLogLikelihood)
            divergence?.add(index: token.index, logits: token.logits, negativeLogLikelihood: token.negativeLogLikelihood)
        }, chunkDone: chunkDone) }
    }
}
