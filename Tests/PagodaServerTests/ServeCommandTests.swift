import AsyncHTTPClient
import Foundation
import NIOCore
import PagodaEngine
import PagodaTestSupport
import XCTest

/// `pagoda serve` as a user starts it: the executable beside the tests, on all interfaces
/// without a key (it warns), answering a real request, and ending cleanly on SIGTERM.
final class ServeCommandTests: XCTestCase {
    func testServeAnswersAndStopsOnSIGTERM() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pagoda").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw XCTSkip("needs the pagoda executable beside the tests (\(binary))") }
        _ = try RealModels.file(.smolLM2)  // fetched (or skipped) before the process needs it
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "-m", KnownModel.smolLM2.name, "--host", "0.0.0.0", "--port", "0", "--kv-mem", "32"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // Read stderr until the line that says where it listens.
        var text = ""
        var port: Int?
        let deadline = Date().addingTimeInterval(60)
        while port == nil && Date() < deadline && process.isRunning {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: #"on http://0\.0\.0\.0:(\d+)/v1"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!.dropLast(3))
            }
        }
        let bound = try XCTUnwrap(port, "no 'serving … on http://…' line: \(text)")
        XCTAssertTrue(text.contains("warning: listening on 0.0.0.0 with no --api-key"), text)

        var request = HTTPClientRequest(url: "http://127.0.0.1:\(bound)/v1/chat/completions")
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":3}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        XCTAssertEqual(response.status.code, 200, String(buffer: body))

        process.terminate()  // SIGTERM: a graceful shutdown, exit 0
        let stopped = Date().addingTimeInterval(15)
        while process.isRunning && Date() < stopped { try await Task.sleep(nanoseconds: 50_000_000) }
        XCTAssertFalse(process.isRunning, "still running 15 s after SIGTERM")
        XCTAssertEqual(process.terminationStatus, 0)
        let rest = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(rest.contains("chatcmpl-1 chat 200"), "one log line per request: \(rest)")
    }
}
