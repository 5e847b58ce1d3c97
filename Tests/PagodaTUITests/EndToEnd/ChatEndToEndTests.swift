import Foundation
import XCTest
@testable import PagodaTUI

/// `pagoda chat` on the default model in a real terminal (tmux, 120×40): a question gets a
/// streamed, right answer, the stats pane shows blocks in use, `/fork` shows shared blocks,
/// quitting restores the terminal, and a second start brings the conversations back.
final class ChatEndToEndTests: XCTestCase {
    let session = "pagoda-e2e-\(ProcessInfo.processInfo.processIdentifier)"

    /// Runs a command through `/bin/sh` and returns its output. `system` (fork, exec, waitpid)
    /// rather than Foundation's `Process`, whose exit detection was seen to miss the tmux
    /// client's exit and hang; output goes through a file, since the tmux server started by
    /// `new-session` would hold a pipe open for ever.
    @discardableResult
    func shell(_ arguments: [String]) throws -> String {
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

    func screen() throws -> String { try shell(["tmux", "capture-pane", "-t", session, "-p"]) }

    /// Polls the screen until `condition` holds or `seconds` pass.
    func waitFor(_ what: String, seconds: Double = 90, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            Thread.sleep(forTimeInterval: 0.25)
        }
        XCTFail("timed out waiting for \(what); screen:\n\(last)")
        return last
    }

    /// The pagoda executable beside the tests, with tmux and the default model at hand.
    func chatBinary() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            if ProcessInfo.processInfo.environment["PAGODA_REQUIRE_TMUX"] != nil { XCTFail("tmux is required here") }
            throw XCTSkip("needs tmux (apt-get install tmux) for the end-to-end chat test")
        }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pagoda").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw XCTSkip("needs the pagoda executable beside the tests (\(binary))") }
        let pull = try shell([binary, "pull"])
        guard pull.contains(".gguf") else {
            if ProcessInfo.processInfo.environment["PAGODA_REQUIRE_MODELS"] != nil { XCTFail("pull failed: \(pull)") }
            throw XCTSkip("needs the default model: \(pull)")
        }
        return binary
    }

    /// kill -9 while a reply streams: the question and the reply so far are in the store,
    /// the reply marked stopped; at most the token in flight is lost.
    func testKillNineLosesAtMostTheTokenInFlight() throws {
        let binary = try chatBinary()
        let transcripts = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-e2e-\(UUID().uuidString).sqlite")
        defer { try? FileManager.default.removeItem(at: transcripts) }
        let chat = "\(binary) chat --temp 0 -n 2000 --transcripts '\(transcripts.path)'; sleep 30"
        try shell(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", chat])
        defer { _ = try? shell(["tmux", "kill-session", "-t", session]) }
        _ = try waitFor("the chat to open") { $0.contains("Type a message") }
        try shell(["tmux", "send-keys", "-t", session, "Write a very long story about a lighthouse keeper.", "Enter"])
        // Wait until the store holds some of the reply (it is saved as it streams).
        func storedReply() throws -> TranscriptEntry? {
            try TranscriptStore(url: transcripts).load(limit: 10).first?.entries.last { $0.kind == .assistant }
        }
        let deadline = Date().addingTimeInterval(90)
        var before = ""
        while Date() < deadline {
            before = try storedReply()?.text ?? ""
            if before.count > 60 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertGreaterThan(before.count, 60, "the reply was saved as it streamed")
        try shell(["pkill", "-9", "-f", "^\(binary) chat"])
        Thread.sleep(forTimeInterval: 0.5)

        let entries = try XCTUnwrap(TranscriptStore(url: transcripts).load(limit: 10).first?.entries)
        XCTAssertEqual(entries.first { $0.kind == .user }?.text, "Write a very long story about a lighthouse keeper.")
        let reply = try XCTUnwrap(entries.last { $0.kind == .assistant })
        XCTAssertTrue(reply.stopped, "a reply cut by the kill comes back marked stopped")
        XCTAssertTrue(reply.text.hasPrefix(before), "nothing saved before the kill is lost")
    }

    func testChatForkAndQuitInTmux() throws {
        let binary = try chatBinary()
        let transcripts = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-e2e-\(UUID().uuidString).sqlite")
        defer { try? FileManager.default.removeItem(at: transcripts) }
        let chat = "\(binary) chat --temp 0 -n 24 --transcripts '\(transcripts.path)'; echo PAGODA-EXITED; sleep 30"
        try shell(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", chat])
        defer { _ = try? shell(["tmux", "kill-session", "-t", session]) }

        _ = try waitFor("the chat to open") { $0.contains("Type a message") }
        try shell(["tmux", "send-keys", "-t", session, "What is the capital of France?", "Enter"])
        let answered = try waitFor("a streamed reply") { screen in
            guard let reply = screen.components(separatedBy: "ai  › ").last else { return false }
            return screen.contains("ai  › ") && !screen.contains("generating") && !reply.hasPrefix("…")
        }
        XCTAssertTrue(answered.contains("Paris"), "the default model answers right:\n\(answered)")
        let used = answered.firstMatch(of: /(\d+) blocks: (\d+) used/).map { Int($0.2)! } ?? 0
        XCTAssertGreaterThan(used, 0, "the stats pane shows blocks in use:\n\(answered)")

        try shell(["tmux", "send-keys", "-t", session, "/fork", "Enter"])
        let forked = try waitFor("shared blocks in the map") { $0.contains("forked from conversation 1") && $0.contains("▓") }
        XCTAssertTrue(forked.contains("conversation 2 (2 of 2)"), forked)

        // Esc and then a command at once: the command is not lost to the Esc (its "/" was).
        try shell(["tmux", "send-keys", "-t", session, "Escape", "/new", "Enter"])
        _ = try waitFor("a third conversation") { $0.contains("conversation 3 (3 of 3)") }
        try shell(["tmux", "send-keys", "-t", session, "/switch 2", "Enter"])
        _ = try waitFor("back to the fork") { $0.contains("conversation 2 (2 of 3)") }

        try shell(["tmux", "send-keys", "-t", session, "C-d"])
        let after = try waitFor("the program to exit") { $0.contains("PAGODA-EXITED") }
        XCTAssertFalse(after.contains("pagoda ·"), "the full-screen view is gone after exit:\n\(after)")

        // Started again, it brings both conversations back, and the first can be continued.
        try shell(["tmux", "kill-session", "-t", session])
        try shell(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", chat])
        _ = try waitFor("the earlier conversations") { $0.contains("2 earlier conversations") }
        try shell(["tmux", "send-keys", "-t", session, "/list", "Enter"])
        // Numbers are the same as in the first run, and so are the token counts.
        let list = try waitFor("the list") { $0.contains("· What is the capital of France?") && $0.contains("  1 · 1 turn · ") }
        XCTAssertNotNil(list.firstMatch(of: /\s\s1 · 1 turn · [1-9]\d* tokens · What is the capital/), "tokens are kept across runs:\n\(list)")
        XCTAssertNotNil(list.firstMatch(of: /\s\s2 · 1 turn · [1-9]\d* tokens/), "the fork is 2 again:\n\(list)")
        try shell(["tmux", "send-keys", "-t", session, "/switch 1", "Enter"])
        _ = try waitFor("the old transcript") { $0.contains("you › What is the capital of France?") && $0.contains("conversation 1 (") }
        try shell(["tmux", "send-keys", "-t", session, "C-d"])
        _ = try waitFor("the program to exit") { $0.contains("PAGODA-EXITED") }
    }
}
