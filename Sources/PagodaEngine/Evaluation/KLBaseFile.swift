import Foundation

/// The base model's distributions at every scored token of a perplexity run, kept to
/// measure another model's KL divergence from it later (`--kl-base` / `--kl-against`).
///
/// Each token keeps its top `topK` (64) log-probabilities with their ids, and its own
/// negative log-likelihood; the rest of the vocabulary is kept as one remaining mass. A
/// full distribution would be 300 KB a token for a 152k vocabulary (gigabytes for a run);
/// 64 entries are 516 bytes, and where the top 64 hold almost all the mass, as they do for
/// nearly every token, the grouped KL equals the full one to well under 1% (grouping can
/// only lower it: the log-sum inequality). The header records the run (vocabulary,
/// context, chunks, a hash of the tokens) so a base is only compared with the same run.
///
/// Layout, little-endian: "PGKL", version 1, vocabulary, context, chunks, topK, tokens
/// (u32 each), token hash (u64); then per token: NLL (f32), topK × (id u32, log-prob f32).
public struct KLBaseFile {
    public struct Header: Equatable, Sendable {
        public var vocabulary: Int
        public var context: Int
        public var chunks: Int
        public var topK: Int
        public var tokens: Int
        public var tokenHash: UInt64

        public init(vocabulary: Int, context: Int, chunks: Int, topK: Int, tokens: Int, tokenHash: UInt64) {
            self.vocabulary = vocabulary
            self.context = context
            self.chunks = chunks
            self.topK = topK
            self.tokens = tokens
            self.tokenHash = tokenHash
        }
    }

    public let header: Header
    /// Per token: its NLL under the base, and topK (id, log-prob) sorted by log-prob, highest first.
    public private(set) var nll: [Float] = []
    public private(set) var ids: [UInt32] = []
    public private(set) var logProbs: [Float] = []

    static let magic = Array("PGKL".utf8)

    public init(header: Header) {
        self.header = header
        nll.reserveCapacity(header.tokens)
        ids.reserveCapacity(header.tokens * header.topK)
        logProbs.reserveCapacity(header.tokens * header.topK)
    }

    /// FNV-1a over the token ids, to tell two texts (or tokenizers) apart.
    public static func hash(_ tokens: [TokenID]) -> UInt64 {
        var h: UInt64 = 14_695_981_039_346_656_037
        for t in tokens {
            withUnsafeBytes(of: t.littleEndian) { for b in $0 { h ^= UInt64(b); h &*= 1_099_511_628_211 } }
        }
        return h
    }

    /// Adds a scored token: its top entries of `logits` and its NLL.
    public mutating func append(logits: UnsafeBufferPointer<Float>, negativeLogLikelihood: Double) {
        let lse = PerplexityScorer.logSumExp(logits)
        for id in Self.top(header.topK, of: logits) {
            ids.append(UInt32(id))
            logProbs.append(Float(Double(logits[id]) - lse))
        }
        nll.append(Float(negativeLogLikelihood))
    }

    /// Indices of the `k` largest values, largest first. O(n·k) worst case, about O(n).
    static func top(_ k: Int, of values: UnsafeBufferPointer<Float>) -> [Int] {
        var best: [(value: Float, index: Int)] = []
        best.reserveCapacity(k + 1)
        for (i, v) in values.enumerated() {
            if best.count == k, v <= best[k - 1].value { continue }
            var at = best.count
            while at > 0, best[at - 1].value < v { at -= 1 }
            best.insert((v, i), at: at)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.index)
    }

    public func write(to path: String) throws {
        var data = Data()
        data.append(contentsOf: Self.magic)
        for v in [1, header.vocabulary, header.context, header.chunks, header.topK, header.tokens] { data.appendLE(UInt32(v)) }
        data.appendLE(header.tokenHash)
        for t in 0..<nll.count {
            data.appendLE(nll[t].bitPattern)
            for j in 0..<header.topK {
                data.appendLE(ids[t * header.topK + j])
                data.appendLE(logProbs[t * header.topK + j].bitPattern)
            }
        }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a base file, checking its size against its header.
    public init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        guard data.count >= 36, Array(data.prefix(4)) == Self.magic else { throw PerplexityError.badBaseFile("\(path) does not start with PGKL") }
        func u32(_ at: Int) -> Int { Int(data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian }) }
        guard u32(4) == 1 else { throw PerplexityError.badBaseFile("version \(u32(4)), expected 1") }
        let header = Header(vocabulary: u32(8), context: u32(12), chunks: u32(16), topK: u32(20), tokens: u32(24),
                            tokenHash: data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 28, as: UInt64.self).littleEndian })
        let record = 4 + header.topK * 8
        guard header.topK > 0, header.topK <= 4096, data.count == 36 + header.tokens * record else {
            throw PerplexityError.badBaseFile("\(data.count) bytes, the header calls for \(36 + header.tokens * record)")
        }
        self.init(header: header)
        data.withUnsafeBytes { raw in
            var at = 36
            for _ in 0..<header.tokens {
                nll.append(Float(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian))
                at += 4
                for _ in 0..<header.topK {
                    ids.append(raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
                    logProbs.append(Float(bitPattern: raw.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self).littleEndian))
                    at += 8
                }
            }
        }
    }
}
