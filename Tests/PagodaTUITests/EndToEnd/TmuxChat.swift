import Foundation
import XCTest

/// `pagoda chat` in a real terminal: a detached tmux session of a given size, keys sent
/// with `send-keys`, the screen read with `capture-pane`. One per test; `stop()` kills it.
final class TmuxChat {
    let session = "pagoda-e2e-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(6))"
    let binary: String

    /// The pagoda executable beside the tests, with tmux and the default model at hand;
    /// skips (or fails, under PAGODA_REQUIRE_TMUX / PAGODA_REQUIRE_MODELS) without them.
    init() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            if ProcessInfo.processInfo.environment["PAGODA_REQUIRE_TMUX"] != nil { XCTFail("tmux is required here") }
            throw XCTSkip("needs tmux (apt-get install tmux) for the end-to-end chat test")
        }
        binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pagoda").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw XCTSkip("needs the pagoda executable beside the tests (\(binary))") }
        let pull = try Self.shell([binary, "pull"])
        guard pull.contains(".gguf") else {
            if ProcessInfo.processInfo.environment["PAGODA_REQUIRE_MODELS"] != nil { XCTFail("pull failed: \(pull)") }
            throw XCTSkip("needs the default model: \(pull)")
        }
    }

    /// Runs a command through `/bin/sh` and returns its output. `system` (fork, exec, waitpid)
    /// rather than Foundation's `Process`, whose exit detection was seen to miss the tmux
    /// client's exit and hang; output goes through a file, since the tmux server started by
    /// `new-session` would hold a pipe open for ever.
    @discardableResult
    static func shell(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let status = system("\(quoted) > '\(output.path)' 2>&1 < /dev/null")
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        if status != 0 && arguments.first == "tmux" && arguments.dropFirst().first != "kill-session" {
            XCTFail("\(arguments.joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text
    }

    /// Starts `pagoda ARGUMENTS` in a `width`×`height` terminal; "PAGODA-EXITED" is printed
    /// when it ends, and the pane stays a while to be read.
    func start(_ arguments: String, width: Int = 120, height: Int = 40) throws {
        let command = "\(binary) \(arguments); echo PAGODA-EXITED $?; sleep 30"
        try Self.shell(["tmux", "new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)", command])
    }

    func stop() { _ = try? Self.shell(["tmux", "kill-session", "-t", session]) }

    /// Sends keys as `tmux send-keys` takes them ("Enter", "Escape", "C-d", or text).
    func send(_ keys: String...) throws { try Self.shell(["tmux", "send-keys", "-t", session] + keys) }

    /// Types `text` and presses Enter.
    func say(_ text: String) throws { try send(text, "Enter") }

    /// Pastes `text` as a terminal paste (bracketed, as a terminal sends a paste).
    func paste(_ text: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-paste-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try text.write(to: file, atomically: true, encoding: .utf8)
        try Self.shell(["tmux", "load-buffer", "-b", session, file.path])
        try Self.shell(["tmux", "paste-buffer", "-p", "-d", "-b", session, "-t", session])
    }

    func screen() throws -> String { try Self.shell(["tmux", "capture-pane", "-t", session, "-p"]) }

    /// Polls the screen until `condition` holds or `seconds` pass; fails with the last
    /// screen on a timeout.
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 90, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTFail("timed out waiting for \(what); screen:\n\(last)")
        return last
    }

    /// Waits for the first screen: the title bar is drawn once the model is loaded.
    func waitUntilOpen() throws { try waitFor("the chat to open") { $0.hasPrefix(" pagoda · ") } }

    /// Waits until the reply of the last turn has ended (nothing is generating).
    @discardableResult
    func waitForReply(seconds: Double = 120) throws -> String {
        Thread.sleep(forTimeInterval: 0.3)
        return try waitFor("the reply to end", seconds: seconds) { screen in
            !screen.contains("generating (Esc stops)") && !screen.contains("reading prompt") && !(screen.components(separatedBy: "ai  › ").last ?? "").hasPrefix("…")
        }
    }

    /// The text of the last reply on the screen (up to the next blank line).
    static func lastReply(_ screen: String) -> String {
        guard let tail = screen.components(separatedBy: "ai  › ").last, screen.contains("ai  › ") else { return "" }
        return tail.components(separatedBy: "\n\n").first ?? tail
    }
}
