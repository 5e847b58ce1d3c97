import Foundation
import XCTest
@testable import PagodaTUI

/// `pagoda chat` on the default model in a real terminal (tmux, 120×40): a question gets a
/// streamed, right answer, the stats pane shows blocks in use, `/fork` shows shared blocks,
/// quitting restores the terminal, and a second start brings the conversations back.
final class ChatEndToEndTests: XCTestCase {
    func temporaryStore() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-e2e-\(UUID().uuidString).sqlite")
    }

    /// kill -9 while a reply streams: the question and the reply so far are in the store,
    /// the reply marked stopped; at most the token in flight is lost.
    func testKillNineLosesAtMostTheTokenInFlight() throws {
        let chat = try TmuxChat()
        defer { chat.stop() }
        let transcripts = temporaryStore()
        defer { try? FileManager.default.removeItem(at: transcripts) }
        try chat.start("chat --temp 0 -n 2000 --transcripts '\(transcripts.path)'")
        try chat.waitUntilOpen()
        try chat.say("Write a very long story about a lighthouse keeper.")
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
        try TmuxChat.shell(["pkill", "-9", "-f", "^\(chat.binary) chat"])
        Thread.sleep(forTimeInterval: 0.5)

        let entries = try XCTUnwrap(TranscriptStore(url: transcripts).load(limit: 10).first?.entries)
        XCTAssertEqual(entries.first { $0.kind == .user }?.text, "Write a very long story about a lighthouse keeper.")
        let reply = try XCTUnwrap(entries.last { $0.kind == .assistant })
        XCTAssertTrue(reply.stopped, "a reply cut by the kill comes back marked stopped")
        XCTAssertTrue(reply.text.hasPrefix(before), "nothing saved before the kill is lost")
    }

    func testChatForkAndQuitInTmux() throws {
        let chat = try TmuxChat()
        defer { chat.stop() }
        let transcripts = temporaryStore()
        defer { try? FileManager.default.removeItem(at: transcripts) }
        let arguments = "chat --temp 0 -n 24 --transcripts '\(transcripts.path)'"
        try chat.start(arguments)
        try chat.waitUntilOpen()
        try chat.say("What is the capital of France?")
        let answered = try chat.waitForReply()
        XCTAssertTrue(answered.contains("Paris"), "the default model answers right:\n\(answered)")
        let used = answered.firstMatch(of: /(\d+) blocks: (\d+) used/).map { Int($0.2)! } ?? 0
        XCTAssertGreaterThan(used, 0, "the stats pane shows blocks in use:\n\(answered)")

        try chat.say("/fork")
        let forked = try chat.waitFor("shared blocks in the map") { $0.contains("forked from conversation 1") && $0.contains("▓") }
        XCTAssertTrue(forked.contains("conversation 2 (2 of 2)"), forked)

        // Esc and then a command at once: the command is not lost to the Esc (its "/" was).
        try chat.send("Escape", "/new", "Enter")
        try chat.waitFor("a third conversation") { $0.contains("conversation 3 (3 of 3)") }
        try chat.say("/switch 2")
        try chat.waitFor("back to the fork") { $0.contains("conversation 2 (2 of 3)") }

        try chat.send("C-d")
        let after = try chat.waitFor("the program to exit") { $0.contains("PAGODA-EXITED 0") }
        XCTAssertFalse(after.contains("pagoda ·"), "the full-screen view is gone after exit:\n\(after)")

        // Started again, it brings both conversations back, and the first can be continued.
        chat.stop()
        try chat.start(arguments)
        try chat.waitFor("the earlier conversations") { $0.contains("2 earlier conversations") }
        try chat.say("/list")
        // Numbers are the same as in the first run, and so are the token counts.
        let list = try chat.waitFor("the list") { $0.contains("· What is the capital of France?") && $0.contains("  1 · 1 turn · ") }
        XCTAssertNotNil(list.firstMatch(of: /\s\s1 · 1 turn · [1-9]\d* tokens · What is the capital/), "tokens are kept across runs:\n\(list)")
        XCTAssertNotNil(list.firstMatch(of: /\s\s2 · 1 turn · [1-9]\d* tokens/), "the fork is 2 again:\n\(list)")
        try chat.say("/switch 1")
        try chat.waitFor("the old transcript") { $0.contains("you › What is the capital of France?") && $0.contains("conversation 1 (") }
        try chat.send("C-d")
        try chat.waitFor("the program to exit") { $0.contains("PAGODA-EXITED 0") }
    }
}
