import Foundation

/// The folder where Pagoda keeps fetched models and its other data: `$PAGODA_HOME`, or
/// `~/.cache/pagoda`. Models live in `models/` under it.
public struct ModelStore: Sendable {
    public let home: URL

    public init(home: URL) {
        self.home = home
    }

    /// The store named by the environment.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelStore {
        if let custom = environment["PAGODA_HOME"], !custom.isEmpty {
            return ModelStore(home: URL(fileURLWithPath: custom, isDirectory: true))
        }
        let userHome = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return ModelStore(home: userHome.appendingPathComponent(".cache/pagoda", isDirectory: true))
    }

    public var modelsFolder: URL { home.appendingPathComponent("models", isDirectory: true) }

    public func path(of model: KnownModel) -> URL {
        modelsFolder.appendingPathComponent(model.fileName)
    }

    /// A marker written after the file's SHA-256 was checked, so later runs need only
    /// compare the size.
    func verifiedMarker(of model: KnownModel) -> URL {
        modelsFolder.appendingPathComponent(model.fileName + ".sha256")
    }

    /// True when the model is in place with the right size and a matching verified checksum.
    /// The file may be a symbolic link to the model elsewhere.
    public func isPresent(_ model: KnownModel) -> Bool {
        guard hasExpectedSize(model) else { return false }
        let marker = try? String(contentsOf: verifiedMarker(of: model), encoding: .utf8)
        return marker?.trimmingCharacters(in: .whitespacesAndNewlines) == model.sha256
    }

    /// True when the model's file (or what its symbolic link points to) has the model's size:
    /// present, though perhaps not verified yet.
    public func hasExpectedSize(_ model: KnownModel) -> Bool {
        let target = path(of: model).resolvingSymlinksInPath().path
        let size = (try? FileManager.default.attributesOfItem(atPath: target))?[.size] as? Int
        return size == model.byteCount
    }
}
