import Foundation
import XCTest

/// `pagoda chat --remote` in a real terminal against `pagoda serve` on the default model:
/// the same chat, its replies from the server, the server's block map in the pane; and a
/// server that is not there, said in the conversation.
final class RemoteChatEndToEndTests: XCTestCase {
    /// Starts `pagoda serve` on a free loopback port; returns it and its port.
    func startServer(_ binary: String) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", "0", "--kv-mem", "64"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && process.isRunning {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let match = text.firstMatch(of: /on http:\/\/127\.0\.0\.1:(\d+)\/v1/) { return (process, Int(match.1)!) }
        }
        process.terminate()
        XCTFail("pagoda serve did not say where it listens: \(text)")
        throw XCTSkip("no server")
    }

    func testChatOverPagodaServe() throws {
        let chat = try TmuxChat()
        defer { chat.stop() }
        let (server, port) = try startServer(chat.binary)
        defer { server.terminate() }
        try chat.start("chat --remote http://127.0.0.1:\(port)/v1 --temp 0 -n 24 --transcripts none")
        try chat.waitUntilOpen()
        try chat.waitFor("the server's pane") { $0.contains("pagoda serve at 127.0.0.1:\(port)") && $0.contains("KV POOL (the server's)") }
        try chat.say("What is the capital of France?")
        let answered = try chat.waitForReply()
        XCTAssertTrue(TmuxChat.lastReply(answered).contains("Paris"), "the server's model answers right:\n\(answered)")
        let cached = try chat.waitFor("blocks cached on the server") { $0.firstMatch(of: /\d+ blocks: \d+ used, [1-9]\d* cached/) != nil }
        XCTAssertTrue(cached.contains("LAST TURN"), cached)
        try chat.send("C-d")
        try chat.waitFor("the program to exit") { $0.contains("PAGODA-EXITED 0") }
    }

    /// Nobody listens: the chat opens, says why, and a question gets the reason, not a hang.
    func testAnUnreachableServerIsSaidInTheConversation() throws {
        let chat = try TmuxChat()
        defer { chat.stop() }
        try chat.start("chat --remote http://127.0.0.1:9/v1 --transcripts none")
        try chat.waitUntilOpen()
        try chat.waitFor("the reason at the start") { $0.contains("cannot reach http://127.0.0.1:9") }
        try chat.say("Hello?")
        let after = try chat.waitForReply(seconds: 30)
        XCTAssertGreaterThanOrEqual(after.components(separatedBy: "cannot reach http://127.0.0.1:9").count, 3, "said again for the turn:\n\(after)")
        try chat.send("C-d")
        try chat.waitFor("the program to exit") { $0.contains("PAGODA-EXITED 0") }
    }
}
