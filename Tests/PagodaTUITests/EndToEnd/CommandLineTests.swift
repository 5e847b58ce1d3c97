import Foundation
import XCTest

/// Flags as llama.cpp's users type them, through the real executable.
final class CommandLineTests: XCTestCase {
    func pagoda(_ arguments: [String]) throws -> (output: String, status: Int32) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pagoda")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("needs the pagoda executable beside the tests") }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
    }

    func testNegativeNumbersAreValuesAndHelpSaysEachDefaultOnce() throws {
        let help = try pagoda(["run", "--help"]).output
        XCTAssertTrue(help.contains("-c, --ctx-size"), help)
        let threads = help.split(separator: "\n").first { $0.contains("--threads") } ?? ""
        XCTAssertEqual(threads.components(separatedBy: "default").count - 1, 1, "one default in: \(threads)")
        // `--temp -1` is a value (greedy, as in llama.cpp), not a missing one.
        let parsed = try pagoda(["run", "-m", "/nonexistent.gguf", "--prompt", "x", "--temp", "-1", "--seed", "-1", "--presence-penalty", "-0.5"])
        XCTAssertFalse(parsed.output.contains("Missing value"), parsed.output)
        XCTAssertTrue(parsed.output.contains("nonexistent.gguf"), "it got as far as opening the model: \(parsed.output)")
        XCTAssertNotEqual(parsed.status, 0)
    }

    func testTokenizeShowPrintsEachIdWithItsPiece() throws {
        let plain = try pagoda(["tokenize", "-m", "smollm2-135m-instruct", "--text", "Hello 東京\t<|im_end|>", "--special"])
        guard plain.status == 0 else { throw XCTSkip("needs smollm2-135m-instruct: \(plain.output)") }
        let ids = plain.output.split(whereSeparator: \.isWhitespace)
        let shown = try pagoda(["tokenize", "-m", "smollm2-135m-instruct", "--text", "Hello 東京\t<|im_end|>", "--special", "--show"]).output
        let lines = shown.split(separator: "\n")
        XCTAssertEqual(lines.count, ids.count, "one line per token")
        XCTAssertEqual(lines.first.map { String($0.prefix(7)).trimmingCharacters(in: .whitespaces) }, ids.first.map(String.init))
        XCTAssertTrue(lines.first?.hasSuffix("\"Hello\"") ?? false, shown)
        XCTAssertTrue(shown.contains("\"\\t\""), "a tab is shown escaped: \(shown)")
        XCTAssertTrue(shown.contains("\\xe6"), "a byte of a split character is shown as \\xNN: \(shown)")
        XCTAssertTrue(lines.last?.hasSuffix("\"<|im_end|>\"") ?? false, shown)
    }
}
