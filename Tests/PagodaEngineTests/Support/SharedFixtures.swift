import Foundation
import XCTest

/// `../shared/fixtures/` beside the repository: llama.cpp's test data. Tests that need it
/// skip with one line saying what is missing where it is absent.
enum SharedFixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/fixtures").standardized

    static func folder(_ name: String, needs what: String) throws -> URL {
        let url = root.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("needs \(what) in ../shared/fixtures/\(name)/ (llama.cpp's test data)")
        }
        return url
    }
}
