import Foundation
import XCTest
@testable import PagodaEngine
@testable import PagodaTUI

/// The chat without a terminal, on the real small model and a KV pool of a few blocks:
/// eight conversations take turns while the pool fills and conversations are preempted,
/// switched and continued. Nothing typed is lost, every reply ends (with text or a reason),
/// and the store holds exactly what the screen shows.
final class ChatSessionTests: XCTestCase {
    func smolLM2() throws -> GGUFFile {
        do {
            return try GGUFFile(path: ModelPuller(store: ModelStore.fromEnvironment()).pull(.smolLM2).path)
        } catch {
            if ProcessInfo.processInfo.environment["PAGODA_REQUIRE_MODELS"] != nil { throw error }
            throw XCTSkip("needs smollm2-135m-instruct (`pagoda pull`): \(error)")
        }
    }

    func session(kvMiB: Int, store: TranscriptStore?, maxTokens: Int = 24) throws -> ChatSession {
        var options = EngineOptions()
        options.kvBudgetBytes = kvMiB << 20
        let engine = try Engine(file: smolLM2(), options: options)
        var settings = ChatSettings()
        settings.sampling = .greedy
        settings.maxTokens = maxTokens
        let s = ChatSession(engine: engine, systemPrompt: nil, settings: settings, transcripts: store)
        s.start(width: 100, height: 30)
        return s
    }

    func type(_ s: ChatSession, _ text: String) {
        s.handle(text.map { AppMessage.key(.character($0)) } + [.key(.enter)])
    }

    /// Feeds the engine's messages to the session until no reply is being generated.
    func waitForReply(_ s: ChatSession, timeout: TimeInterval = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            s.handle(s.pendingMessages())
            if !s.state.isGenerating { return }
            Thread.sleep(forTimeInterval: 0.005)
        } while Date() < deadline
        XCTFail("a reply did not end within \(timeout) s")
    }

    func testEightConversationsOnAFewBlocksLoseNothing() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-session-\(UUID().uuidString).sqlite")
        defer { try? FileManager.default.removeItem(at: url) }
        let s = try session(kvMiB: 4, store: try TranscriptStore(url: url))  // 11 blocks: 176 tokens
        XCTAssertLessThan((s.backend as! LocalBackend).engine.model.cache.pool.blockCount, 16)

        var typed: [[String]] = []
        for c in 0..<8 {
            if c > 0 { type(s, "/new") }
            let text = "Name one fact about the number \(c + 1)."
            type(s, text)
            typed.append([text])
            // While it streams: switch away and back (the screen changes under the reply).
            s.handle([.key(.control("p"))])
            s.handle([.key(.control("n"))])
            try waitForReply(s)
        }
        // Continue three of them (each was preempted by the later ones, so each is recomputed).
        for c in [0, 3, 7] {
            type(s, "/switch \(c + 1)")
            let text = "And another?"
            type(s, text)
            typed[c].append(text)
            try waitForReply(s)
        }
        s.finish()

        let notices = s.state.conversations.flatMap(\.entries).filter { $0.text.contains("preempted") }
        XCTAssertFalse(notices.isEmpty, "the pool filled and conversations were preempted")
        for (c, conversation) in s.state.conversations.enumerated() {
            XCTAssertEqual(conversation.entries.filter { $0.kind == .user }.map(\.text), typed[c], "conversation \(c + 1)")
            for (i, entry) in conversation.entries.enumerated() where entry.kind == .assistant {
                XCTAssertFalse(entry.streaming, "conversation \(c + 1): a reply still streams")
                let failed = conversation.entries.dropFirst(i + 1).first?.kind == .error
                XCTAssertTrue(!entry.text.isEmpty || failed, "conversation \(c + 1): an empty reply with no reason")
            }
            let replies = conversation.entries.filter { $0.kind == .assistant }
            XCTAssertEqual(replies.count, typed[c].count, "conversation \(c + 1): one reply per turn")
        }

        // The store holds what the screen held, turn for turn.
        let stored = try TranscriptStore(url: url).load(limit: 50)
        XCTAssertEqual(stored.count, 8)
        for conversation in s.state.conversations {
            let match = stored.first { $0.entries.first?.text == conversation.entries.first { $0.kind == .user }?.text }
            XCTAssertEqual(match?.entries.filter { $0.kind != .notice }.map(\.text),
                           conversation.entries.filter { $0.kind != .notice }.map(\.text))
        }
    }

    /// `/delete` frees the conversation's blocks and removes it from the store; `/export`
    /// writes the file and never over an existing one.
    func testDeleteFreesBlocksAndUnstoresAndExportWritesOnce() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-session-\(UUID().uuidString).sqlite")
        let exported = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-export-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url); try? FileManager.default.removeItem(at: exported) }
        let s = try session(kvMiB: 8, store: try TranscriptStore(url: url))
        type(s, "Hi")
        try waitForReply(s)
        XCTAssertGreaterThan(s.state.kv?.usedBlocks ?? 0, 0)
        type(s, "/export \(exported.path)")
        s.handle(s.pendingMessages())
        XCTAssertTrue(s.state.current.entries.last!.text.hasPrefix("exported to "), s.state.current.entries.last!.text)
        XCTAssertTrue(try String(contentsOf: exported, encoding: .utf8).contains("\"content\" : \"Hi\""))
        type(s, "/export \(exported.path)")
        s.handle(s.pendingMessages())
        XCTAssertTrue(s.state.current.entries.last!.text.hasSuffix("it exists already; choose another name"))
        XCTAssertEqual(try TranscriptStore(url: url).load(limit: 10).count, 1)
        type(s, "/delete \(s.state.current.number)")
        s.handle(s.pendingMessages())
        XCTAssertEqual(s.state.kv?.usedBlocks, 0, "its blocks are free")
        XCTAssertEqual(try TranscriptStore(url: url).load(limit: 10).count, 0, "and it is gone from the store")
    }

    /// A conversation longer than the pool goes on: the oldest turns leave the prompt
    /// (and it says so), instead of every later turn failing with "KV cache is full".
    func testAConversationLongerThanThePoolGoesOn() throws {
        let s = try session(kvMiB: 2, store: nil)  // 5 blocks: 80 tokens
        for i in 1...6 {
            type(s, "Tell me something about the number \(i).")
            try waitForReply(s)
        }
        let entries = s.state.current.entries
        XCTAssertFalse(entries.contains { $0.kind == .error }, entries.filter { $0.kind == .error }.map(\.text).joined(separator: "\n"))
        XCTAssertTrue(entries.contains { $0.text.hasPrefix("context full: ") }, "the policy acted and said so")
        XCTAssertEqual(entries.filter { $0.kind == .assistant && !$0.text.isEmpty }.count, 6, "every turn got its reply")
    }

    /// A reply longer than the whole pool stops where the pool does, cut as at the token
    /// limit and said so before it starts, instead of failing mid-reply.
    func testAReplyLongerThanThePoolStopsCutNotFailed() throws {
        let s = try session(kvMiB: 2, store: nil, maxTokens: 500)  // 80 tokens in all
        type(s, "Write a long story about a lighthouse.")
        try waitForReply(s)
        let entries = s.state.current.entries
        XCTAssertFalse(entries.contains { $0.kind == .error }, entries.map(\.text).joined(separator: "\n"))
        XCTAssertTrue(entries.contains { $0.text.hasPrefix("room for ") && $0.text.contains("the reply stops there") }, entries.map(\.text).joined(separator: "\n"))
        let reply = try XCTUnwrap(entries.last { $0.kind == .assistant })
        XCTAssertTrue(reply.cutAtLimit)
        XCTAssertFalse(reply.text.isEmpty)
    }

    /// A reply cut at the token limit goes on with /continue, in the same entry.
    func testContinueGoesOnWithTheSameReply() throws {
        let s = try session(kvMiB: 16, store: nil)
        type(s, "Write a long story about a lighthouse.")
        try waitForReply(s)
        let cut = try XCTUnwrap(s.state.current.entries.last { $0.kind == .assistant })
        XCTAssertTrue(cut.cutAtLimit, "24 tokens do not finish a long story")
        type(s, "/continue")
        try waitForReply(s)
        let replies = s.state.current.entries.filter { $0.kind == .assistant }
        XCTAssertEqual(replies.count, 1)
        XCTAssertTrue(replies[0].text.hasPrefix(cut.text) && replies[0].text.count > cut.text.count, replies[0].text)
    }
}
