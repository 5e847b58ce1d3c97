import ArgumentParser
import Foundation
import PagodaEngine

struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Logits after each given token id, for comparison with other engines.",
        discussion: """
        With --out, writes raw little-endian float32 rows [n_tokens][n_vocab]: row j holds the \
        logits after ids[0…j] (no BOS is added). Without it, prints the top K of the last row as JSON.
        """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var cacheOptions: CacheOptions

    @Option(help: "Comma-separated token ids.")
    var tokens: String

    @Option(help: "Write every row of logits to this file.")
    var out: String?

    @Option(help: "How many of the last row's best tokens to print.")
    var top = 10

    func run() throws {
        try reportingErrors {
            let ids = try tokens.split(separator: ",").map { part -> TokenID in
                guard let id = TokenID(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("'\(part)' is not a token id")
                }
                return id
            }
            guard !ids.isEmpty else { throw ValidationError("--tokens is empty") }
            let engine = try Engine(path: try modelOptions.resolve(), options: cacheOptions.engineOptions())
            let vocabulary = engine.facts.vocabularySize
            var rows = out == nil ? nil : Data(capacity: ids.count * vocabulary * 4)
            let last = try engine.logits(of: ids, each: rows == nil ? nil : { _, row in
                rows!.append(UnsafeBufferPointer(start: UnsafeRawPointer(row.baseAddress!).assumingMemoryBound(to: UInt8.self), count: row.count * 4))
            })
            if let out, let rows {
                try rows.write(to: URL(fileURLWithPath: out))
                return
            }
            let best = last.enumerated().sorted { $0.element > $1.element }.prefix(max(1, top))
            struct Entry: Encodable { let id: Int, logit: Float }
            struct Output: Encodable { let n_tokens: Int, n_vocab: Int, top: [Entry] }
            let output = Output(n_tokens: ids.count, n_vocab: vocabulary, top: best.map { Entry(id: $0.offset, logit: $0.element) })
            print(try Terminal.jsonLine(output))
        }
    }
}
