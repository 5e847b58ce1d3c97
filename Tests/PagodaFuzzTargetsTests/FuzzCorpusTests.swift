import Foundation
import PagodaEngine
import XCTest
@testable import PagodaFuzzTargets

/// The fuzz corpus in `Tests/FuzzCorpus/` (seeds, and any input a fuzzer ever found a fault
/// with) replayed through its target on every test run, so a fixed fault stays fixed.
final class FuzzCorpusTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus")

    func files(_ target: FuzzTarget) throws -> [URL] {
        let folder = Self.corpus.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).sorted { $0.path < $1.path }
    }

    func testEveryCorpusInputRunsThroughItsTarget() throws {
        for target in FuzzTarget.allCases {
            let inputs = try files(target)
            XCTAssertFalse(inputs.isEmpty, "\(target.rawValue) has seeds")
            for url in inputs { target.run(try Data(contentsOf: url)) }
        }
    }

    func testTheSeedsAreWhatTheSeedWriterWrites() throws {
        let fresh = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-seeds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: fresh) }
        try SeedCorpus.write(to: fresh)
        for target in FuzzTarget.allCases {
            let written = try FileManager.default.contentsOfDirectory(atPath: fresh.appendingPathComponent(target.rawValue).path)
            for name in written {
                let committed = Self.corpus.appendingPathComponent(target.rawValue).appendingPathComponent(name)
                XCTAssertEqual(try? Data(contentsOf: committed), try Data(contentsOf: fresh.appendingPathComponent(target.rawValue).appendingPathComponent(name)),
                               "Tests/FuzzCorpus/\(target.rawValue)/\(name) is out of date: `pagoda-fuzz --write-seeds Tests/FuzzCorpus`")
            }
        }
    }

    func testTheModelSeedsAreModelsThatLoadAndRun() throws {
        for url in try files(.model) where url.pathExtension == "gguf" {
            let logits = try Engine(file: GGUFFile(path: url.path)).logits(of: [1, 2, 3])
            XCTAssertTrue(logits.allSatisfy(\.isFinite), url.lastPathComponent)
        }
    }

    func testTheBuiltInVocabularyRoundTripsAnyText() throws {
        let t = try XCTUnwrap(FuzzTarget.fuzzTokenizer)
        XCTAssertTrue(t.roundTrips)
        let text = "the other thing — ünïcödé 👋\n\t" + String(decoding: [0xFF, 0xFE], as: UTF8.self)
        XCTAssertEqual(t.decode(t.encode(text, addSpecial: false, parseSpecial: false)), text)
    }
}
