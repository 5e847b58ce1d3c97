import Foundation
import XCTest
@testable import PagodaTUI

/// What a newcomer meets first, in a real terminal on the default model: right answers,
/// a full KV pool and a full context that go on, emoji that keep the screen whole, and a
/// huge paste that never freezes it.
final class FirstChatEndToEndTests: XCTestCase {
    var store: URL!

    override func setUp() {
        store = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-e2e-\(UUID().uuidString).sqlite")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: store)
    }

    /// "What is the capital of France?" → Paris and "What is 12*7?" → 84, greedy and with
    /// two fixed seeds at the default sampling settings.
    func testTheDefaultModelAnswersEverydayQuestions() throws {
        for sampling in ["--temp 0", "--seed 1", "--seed 2"] {
            let chat = try TmuxChat()
            defer { chat.stop() }
            try chat.start("chat \(sampling) --transcripts '\(store.path)'")
            try chat.waitUntilOpen()
            try chat.say("What is the capital of France?")
            let france = TmuxChat.lastReply(try chat.waitForReply())
            XCTAssertTrue(france.contains("Paris"), "\(sampling): \(france)")
            try chat.say("/new")
            try chat.say("What is 12*7?")
            let product = TmuxChat.lastReply(try chat.waitForReply())
            XCTAssertTrue(product.contains("84"), "\(sampling): \(product)")
        }
    }

    /// Bugs 1 and 2 of the first use. A small pool: a long story fills it, a new
    /// conversation preempts the story and its reply still shows and is stored; back in the
    /// story, the turn that no longer fits is left out (said so) and the reply comes.
    func testAFullPoolAndAFullContextGoOn() throws {
        let chat = try TmuxChat()
        defer { chat.stop() }
        try chat.start("chat --kv-mem 4 --temp 0 -n 300 --transcripts '\(store.path)'")
        try chat.waitUntilOpen()
        try chat.say("Write a long story about a dragon who learns to fly.")
        try chat.waitForReply(seconds: 300)  // about 300 tokens: 5 s here, far longer on a busy machine
        try chat.say("/new")
        try chat.say("Hi there")
        let greeted = try chat.waitForReply()
        XCTAssertTrue(greeted.contains("conversation 1 was preempted"), greeted)
        XCTAssertFalse(TmuxChat.lastReply(greeted).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "the reply after a preemption shows:\n\(greeted)")
        let stored = try TranscriptStore(url: store).load(limit: 10).first { $0.entries.first?.text == "Hi there" }
        XCTAssertFalse(stored?.entries.last { $0.kind == .assistant }?.text.isEmpty ?? true, "and is stored")

        try chat.say("/switch 1")
        try chat.say("Now tell the end of the story in one sentence.")
        let ended = try chat.waitForReply()
        XCTAssertTrue(ended.contains("context full:") && ended.contains("left out of the prompt"), ended)
        XCTAssertFalse(ended.contains("KV cache is full"), ended)
        XCTAssertFalse(TmuxChat.lastReply(ended).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, ended)
    }

    /// Bug 4: "👍🏽 한국어 👨‍👩‍👧" typed and sent leaves the stats pane's border in one column on
    /// every row; Left×5 and Backspace delete the space before the family, as shown.
    func testEmojiKeepTheScreenWhole() throws {
        let chat = try TmuxChat()
        defer { chat.stop() }
        try chat.start("chat --temp 0 -n 40 --transcripts '\(store.path)'", width: 110, height: 30)
        try chat.waitUntilOpen()
        try chat.send("👍🏽 한국어 👨‍👩‍👧 end")
        try chat.waitFor("the typed text") { $0.contains("› 👍🏽 한국어 👨👩👧 end") }
        try chat.send("Left", "Left", "Left", "Left", "Left", "BSpace")
        try chat.waitFor("the edited text") { $0.contains("› 👍🏽 한국어👨👩👧 end") }
        let cursor = try TmuxChat.shell(["tmux", "display", "-p", "-t", chat.session, "#{cursor_x}"])
        XCTAssertEqual(cursor.trimmingCharacters(in: .whitespacesAndNewlines), "13", "the caret sits where the text says")
        try chat.send("Enter")
        let screen = try chat.waitForReply()
        XCTAssertTrue(screen.contains("you › 👍🏽 한국어👨👩👧 end"), screen)
        let rows = screen.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().prefix(30 - 4)
        let borders = Set(rows.compactMap { row -> Int? in
            guard let bar = row.firstIndex(of: "│") else { return nil }
            return displayWidth(String(row[..<bar]))
        })
        XCTAssertEqual(borders.count, 1, "the pane's border is in one column on every row:\n\(screen)")
        XCTAssertEqual(rows.filter { $0.contains("│") }.count, rows.count, "and on every row:\n\(screen)")
    }

    /// Bug 10: a 50 KB paste is sent at once (tokenizing and templating are off the UI
    /// thread), the screen says it reads the prompt, and Ctrl-D quits meanwhile.
    func testAHugePasteNeverFreezesTheScreen() throws {
        let chat = try TmuxChat()
        defer { chat.stop() }
        try chat.start("chat --temp 0 -n 20 --transcripts '\(store.path)'")
        try chat.waitUntilOpen()
        var text = ""
        var line = 0
        while text.utf8.count < 50_000 {
            line += 1
            text += "Line \(line): the lighthouse keeper counted the ships that passed in the night.\n"
        }
        try chat.paste(text)
        try chat.waitFor("the paste in the input line", seconds: 20) { $0.contains("the ships that passed") }
        let sent = Date()
        try chat.send("Enter")
        try chat.waitFor("the message sent", seconds: 10) { $0.contains("reading prompt") }
        let shown = Date().timeIntervalSince(sent)
        try chat.send("C-d")
        try chat.waitFor("the program to exit", seconds: 15) { $0.contains("PAGODA-EXITED 0") }
        let exited = Date().timeIntervalSince(sent)
        print("50 KB paste: shown as sent after \(String(format: "%.2f", shown)) s, quit by Ctrl-D after \(String(format: "%.2f", exited)) s")
        XCTAssertLessThan(shown, 3, "the message shows at once")
        let stored = try TranscriptStore(url: store).load(limit: 1).first?.entries.first { $0.kind == .user }?.text
        XCTAssertEqual(stored?.trimmingCharacters(in: .newlines), text.trimmingCharacters(in: .newlines), "the whole paste is kept")
    }
}
