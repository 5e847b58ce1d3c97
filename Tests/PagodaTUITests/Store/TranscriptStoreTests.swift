import Foundation
import PagodaEngine
import XCTest
@testable import PagodaTUI

/// Conversations saved as they change and read back, in a file as a new session would.
final class TranscriptStoreTests: XCTestCase {
    func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-transcripts-\(UUID().uuidString).sqlite")
    }

    func testTheStoreIsPrivateToItsOwner() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-home-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("transcripts.sqlite")
        var conversation = Conversation(number: 1, systemPrompt: nil)
        conversation.entries = [TranscriptEntry(.user, "a secret")]
        try TranscriptStore(url: url).save([conversation])
        func permissions(_ path: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        XCTAssertEqual(try permissions(folder.path), 0o700)
        XCTAssertEqual(try permissions(url.path), 0o600)
        // An older store left readable by others is tightened when opened.
        chmod(url.path, 0o644)
        _ = try TranscriptStore(url: url)
        XCTAssertEqual(try permissions(url.path), 0o600)
    }

    func testAReplyCutAtTheLimitComesBackMarked() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        var c = Conversation(number: 1, systemPrompt: nil)
        var reply = TranscriptEntry(.assistant, "1, 2, 3")
        reply.cutAtLimit = true
        c.entries = [TranscriptEntry(.user, "Count"), reply]
        try TranscriptStore(url: url).save([c])
        XCTAssertEqual(try TranscriptStore(url: url).load(limit: 1).first?.entries.last?.cutAtLimit, true)
    }

    func testConversationsComeBackAsTheyWereLeft() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        var first = Conversation(number: 1, systemPrompt: "Be brief.")
        var empty = Conversation(number: 2, systemPrompt: nil)
        empty.entries = [TranscriptEntry(.notice, "nothing said yet")]
        var second = Conversation(number: 3, systemPrompt: nil)
        do {
            let store = try TranscriptStore(url: url)
            first.entries = [TranscriptEntry(.user, "Hi"), TranscriptEntry(.assistant, "Hel", streaming: true)]
            try store.save([first, empty])
            first.entries[1].text += "lo!"  // the reply streams on
            try store.save([first, empty])
            first.entries[1].streaming = false
            second.entries = [TranscriptEntry(.user, "Name a color."), TranscriptEntry(.assistant, "Red, and", streaming: true)]
            try store.save([first, empty, second])  // Pagoda stops while the second reply streams
        }
        let store = try TranscriptStore(url: url)
        let loaded = try store.load(limit: 10)
        XCTAssertEqual(loaded.count, 2, "a conversation without a user message is not saved")
        XCTAssertEqual(loaded.map(\.number), [3, 1], "each keeps its number")
        XCTAssertEqual(loaded[0].entries.map(\.text), ["Name a color.", "Red, and"], "most recently changed first")
        XCTAssertTrue(loaded[0].entries[1].stopped, "a reply cut off mid-stream comes back marked stopped")
        XCTAssertEqual(loaded[1].entries.map(\.text), ["Hi", "Hello!"])
        XCTAssertFalse(loaded[1].entries[1].stopped)
        XCTAssertEqual(loaded[1].systemPrompt, "Be brief.")
        XCTAssertEqual(loaded[1].messages, [ChatMessage(.system, "Be brief."), ChatMessage(.user, "Hi"), ChatMessage(.assistant, "Hello!")])
    }

    func testContinuingALoadedConversationUpdatesItInPlace() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        var c = Conversation(number: 1, systemPrompt: nil)
        c.entries = [TranscriptEntry(.user, "One"), TranscriptEntry(.assistant, "1"), TranscriptEntry(.user, "Two"), TranscriptEntry(.assistant, "2")]
        try TranscriptStore(url: url).save([c])

        let store = try TranscriptStore(url: url)
        var loaded = try XCTUnwrap(store.load(limit: 10).first)
        XCTAssertNotNil(loaded.storedID)
        // /regen drops the last reply, then a new one comes; and a new turn.
        loaded.entries.removeLast()
        try store.save([loaded])
        loaded.entries += [TranscriptEntry(.assistant, "two"), TranscriptEntry(.user, "Three")]
        try store.save([loaded])

        let again = try TranscriptStore(url: url).load(limit: 10)
        XCTAssertEqual(again.count, 1, "the same conversation, not a copy")
        XCTAssertEqual(again[0].entries.map(\.text), ["One", "1", "Two", "two", "Three"])
        // /clear empties it: no user message left, so nothing changes in the store.
        loaded.entries = []
        try store.save([loaded])
        XCTAssertEqual(try TranscriptStore(url: url).load(limit: 10).first?.entries.count, 5)
    }

    /// Numbers, token counts, models and titles are what they were in the last run; numbers
    /// are never given twice, not even after a delete.
    func testNumbersTokensModelsAndTitlesSurviveARestart() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let store = try TranscriptStore(url: url)
            XCTAssertEqual(try store.nextConversationNumber(), 1)
            var a = Conversation(number: 1, systemPrompt: nil, model: "Qwen.gguf")
            a.entries = [TranscriptEntry(.user, "Line one\nline two"), TranscriptEntry(.assistant, "ok")]
            a.contextTokens = 31
            var b = Conversation(number: 2, systemPrompt: nil, model: "SmolLM2.gguf")
            b.entries = [TranscriptEntry(.user, "Hi")]
            b.title = "greeting"
            var gone = Conversation(number: 3, systemPrompt: nil)
            gone.entries = [TranscriptEntry(.user, "delete me")]
            try store.save([a, b, gone])
            try store.delete(gone)
        }
        let store = try TranscriptStore(url: url)
        let loaded = try store.load(limit: 10).sorted { $0.number < $1.number }
        XCTAssertEqual(loaded.map(\.number), [1, 2])
        XCTAssertEqual(loaded.map(\.contextTokens), [31, 0])
        XCTAssertEqual(loaded.map(\.model), ["Qwen.gguf", "SmolLM2.gguf"])
        XCTAssertEqual(loaded.map(\.displayTitle), ["Line one", "greeting"])
        XCTAssertEqual(try store.nextConversationNumber(), 4, "3 was deleted but is not given again")
    }

    func testANonDatabaseFileIsAnErrorNotACrash() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("not a database, just text".utf8).write(to: url)
        XCTAssertThrowsError(try TranscriptStore(url: url).save([]))
    }
}
