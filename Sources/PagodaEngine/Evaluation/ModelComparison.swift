import Foundation

/// One model's line in `pagoda compare`: what it costs (file, bits per weight, weights by
/// type, memory while it ran), how close it stays to the base (perplexity, KL divergence,
/// top-token agreement) and how fast it runs.
public struct ComparisonRow: Sendable, Codable, Equatable {
    public struct TypeShare: Sendable, Codable, Equatable {
        public let type: String
        public let mebibytes: Double

        public init(type: String, mebibytes: Double) {
            self.type = type
            self.mebibytes = mebibytes
        }
    }

    public var name: String
    public var isBase = false
    public var fileBytes: Int
    public var bitsPerWeight: Double
    public var weights: [TypeShare]
    /// The process's resident memory at the end of this model's run (its mapped weights,
    /// KV pool and buffers; the models before it are unloaded by then).
    public var residentMebibytes: Double?
    public var perplexity: Double
    public var perplexityError: Double
    /// Against the base; nil on the base's own row.
    public var kl: KLDivergence.Summary?
    public var promptTokensPerSecond: Double
    public var generateTokensPerSecond: Double

    public init(name: String, fileBytes: Int, bitsPerWeight: Double, weights: [TypeShare]) {
        self.name = name
        self.fileBytes = fileBytes
        self.bitsPerWeight = bitsPerWeight
        self.weights = weights
        perplexity = .nan
        perplexityError = .nan
        promptTokensPerSecond = 0
        generateTokensPerSecond = 0
    }

    /// A row for the model an engine loaded, its measures still to fill in.
    public init(name: String, facts: ModelFacts) {
        self.name = name
        fileBytes = facts.fileBytes
        bitsPerWeight = facts.parameterCount > 0 ? Double(8 * facts.weightBytes) / Double(facts.parameterCount) : 0
        weights = facts.weightsByType.map { TypeShare(type: $0.type, mebibytes: Double($0.bytes) / 1_048_576) }
        perplexity = .nan
        perplexityError = .nan
        promptTokensPerSecond = 0
        generateTokensPerSecond = 0
    }
}

/// The comparison as a Markdown table (what a person shows when demoing quantizations):
/// the base first, then the others from the largest file down.
public enum ComparisonTable {
    public static func markdown(_ rows: [ComparisonRow], promptTokens: Int, generateTokens: Int) -> String {
        let ordered = rows.filter(\.isBase) + rows.filter { !$0.isBase }.sorted { $0.fileBytes > $1.fileBytes }
        let header = ["model", "file MiB", "bits/weight", "weights MiB by type", "RSS MiB", "PPL", "mean KL", "KL 99%", "same top", "pp\(promptTokens) t/s", "tg\(generateTokens) t/s"]
        var lines = [header, header.map { name in name == "model" || name.hasPrefix("weights") ? "---" : "---:" }]
        for r in ordered {
            let types = r.weights.prefix(3).map { "\($0.type) \(String(format: $0.mebibytes < 10 ? "%.1f" : "%.0f", $0.mebibytes))" }.joined(separator: ", ")
                + (r.weights.count > 3 ? ", …" : "")
            lines.append([
                r.name + (r.isBase ? " (base)" : ""),
                String(format: "%.1f", Double(r.fileBytes) / 1_048_576),
                String(format: "%.2f", r.bitsPerWeight),
                types,
                r.residentMebibytes.map { String(format: "%.0f", $0) } ?? "–",
                String(format: "%.3f ± %.3f", r.perplexity, r.perplexityError),
                r.kl.map { String(format: "%.4f", $0.mean) } ?? "–",
                r.kl.map { String(format: "%.3f", $0.p99) } ?? "–",
                r.kl.map { String(format: "%.1f%%", 100 * $0.topAgreement) } ?? "–",
                String(format: "%.1f", r.promptTokensPerSecond),
                String(format: "%.1f", r.generateTokensPerSecond),
            ])
        }
        // Columns padded to their widest cell, so the text lines up as well as it renders.
        let widths = (0..<header.count).map { c in lines.map { displayColumns($0[c]) }.max() ?? 0 }
        return lines.map { cells in
            "| " + cells.enumerated().map { c, cell in
                let pad = String(repeating: cells.first == "---" ? "-" : " ", count: widths[c] - displayColumns(cell))
                return c == 0 || c == 3 ? cell + pad : pad + cell
            }.joined(separator: " | ") + " |"
        }.joined(separator: "\n")
    }

    private static func displayColumns(_ s: String) -> Int { s.unicodeScalars.count }
}
