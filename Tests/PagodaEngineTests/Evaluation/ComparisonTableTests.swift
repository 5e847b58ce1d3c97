import XCTest
@testable import PagodaEngine

final class ComparisonTableTests: XCTestCase {
    func row(_ name: String, bytes: Int, base: Bool = false, kl: Double? = nil) -> ComparisonRow {
        var r = ComparisonRow(name: name, fileBytes: bytes, bitsPerWeight: Double(bytes) / 1e7,
                              weights: [.init(type: "Q4_K", mebibytes: 300), .init(type: "Q6_K", mebibytes: 90), .init(type: "F32", mebibytes: 1),
                                        .init(type: "Q8_0", mebibytes: 0.5)])
        r.isBase = base
        r.perplexity = 21.5
        r.perplexityError = 0.81
        r.kl = kl.map { .init(tokens: 100, mean: $0, meanError: 0.001, median: $0 / 2, p99: $0 * 5, maximum: $0 * 9, topAgreement: 0.875, perplexity: 22, basePerplexity: 21) }
        r.promptTokensPerSecond = 431.25
        r.generateTokensPerSecond = 61.04
        return r
    }

    /// The base first, then from the largest file down; columns line up; no KL on the base.
    func testTheTableIsOrderedAlignedAndSaysWhatIsMissing() {
        let table = ComparisonTable.markdown([row("small.gguf", bytes: 300 << 20, kl: 0.1), row("ref.gguf", bytes: 900 << 20, base: true), row("mid.gguf", bytes: 500 << 20, kl: 0.02)],
                                             promptTokens: 128, generateTokens: 32)
        let lines = table.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines[0].hasPrefix("| model "), lines[0])
        XCTAssertTrue(lines[0].contains("pp128 t/s") && lines[0].contains("tg32 t/s"))
        XCTAssertTrue(lines[2].hasPrefix("| ref.gguf (base)"), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("| mid.gguf"))
        XCTAssertTrue(lines[4].hasPrefix("| small.gguf"))
        XCTAssertEqual(Set(lines.map { $0.unicodeScalars.count }).count, 1, "every line is as wide:\n\(table)")
        XCTAssertTrue(lines[2].contains(" – |"), "the base has no KL to itself: \(lines[2])")
        XCTAssertTrue(lines[4].contains("0.1000") && lines[4].contains("87.5%") && lines[4].contains("21.500 ± 0.810"), lines[4])
        XCTAssertTrue(lines[4].contains("Q4_K 300, Q6_K 90, F32 1.0, …"), "the three largest types, then an ellipsis: \(lines[4])")
    }
}
