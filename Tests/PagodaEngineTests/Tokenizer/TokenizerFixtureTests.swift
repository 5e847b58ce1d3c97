import Foundation
import XCTest
@testable import PagodaEngine

/// llama.cpp's tokenizer test suites (`../shared/fixtures/tokenizer/`): every string of
/// every gpt2 and llama vocabulary must give exactly the listed ids (no BOS, specials not
/// parsed). Out of scope: `bert-bge` (WordPiece) and `gemma-4` (its own `gemma4` model).
final class TokenizerFixtureTests: XCTestCase {
    static let outOfScope: Set<String> = ["bert-bge", "gemma-4"]

    struct Suite {
        let name: String
        let vocabulary: URL
        let cases: [(text: String, ids: [TokenID])]
    }

    static func suites() throws -> [Suite] {
        let folder = try SharedFixtures.folder("tokenizer", needs: "llama.cpp's tokenizer suites ggml-vocab-*.gguf with .inp and .out")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".gguf") }.sorted()
        return try files.compactMap { file in
            let name = String(file.dropFirst("ggml-vocab-".count).dropLast(".gguf".count))
            guard !outOfScope.contains(name) else { return nil }
            let url = folder.appendingPathComponent(file)
            let input = try String(contentsOf: URL(fileURLWithPath: url.path + ".inp"), encoding: .utf8)
            var texts = input.components(separatedBy: "\n__ggml_vocab_test__\n")
            if texts.last == "" { texts.removeLast() }
            let lines = try String(contentsOf: URL(fileURLWithPath: url.path + ".out"), encoding: .utf8).components(separatedBy: "\n")
            let cases = texts.enumerated().map { i, text in
                (text, lines[i].split(separator: " ").map { TokenID($0)! })
            }
            return Suite(name: name, vocabulary: url, cases: cases)
        }
    }

    func testEverySuiteGivesTheListedIds() throws {
        let suites = try Self.suites()
        XCTAssertEqual(suites.count, 13, "15 suites less the 2 out of scope")
        for suite in suites {
            let tokenizer = try Tokenizer(metadata: GGUFFile(path: suite.vocabulary.path).metadata)
            var failures = 0
            for (text, expected) in suite.cases {
                let ids = tokenizer.encode(text)
                if ids != expected {
                    failures += 1
                    XCTFail("\(suite.name): \(text.debugDescription.prefix(80)) → \(ids.prefix(20)), expected \(expected.prefix(20))")
                }
            }
            XCTAssertEqual(failures, 0, suite.name)
        }
    }

    /// decode(encode(s)) == s for the byte-level vocabularies, which lose nothing.
    func testByteLevelVocabulariesRoundTrip() throws {
        for suite in try Self.suites() {
            let tokenizer = try Tokenizer(metadata: GGUFFile(path: suite.vocabulary.path).metadata)
            guard tokenizer.vocabulary.model == .bytePairEncoding else { continue }
            for (text, _) in suite.cases {
                XCTAssertEqual(tokenizer.decode(tokenizer.encode(text)), text, "\(suite.name): \(text.debugDescription.prefix(60))")
            }
        }
    }
}
