import XCTest
@testable import PagodaRemote

final class ServerSentEventsTests: XCTestCase {
    /// The same stream cut at every byte gives the same events: data lines joined, comments
    /// and other fields read past, LF, CR and CRLF all ending lines.
    func testEventsSurviveAnySplit() throws {
        let stream = ": ping\r\nevent: message\r\ndata: {\"a\":1}\r\n\r\ndata: first\ndata: second\n\nid: 7\rdata:[DONE]\r\r"
        let bytes = Array(stream.utf8)
        for cut in 0...bytes.count {
            var parser = ServerSentEvents()
            let events = try parser.feed(bytes[..<cut]) + parser.feed(bytes[cut...])
            XCTAssertEqual(events, ["{\"a\":1}", "first\nsecond", "[DONE]"], "cut at \(cut)")
        }
    }

    func testAnEventWithoutItsBlankLineIsNotYetOut() throws {
        var parser = ServerSentEvents()
        XCTAssertEqual(try parser.feed(Array("data: half\n".utf8)), [])
        XCTAssertEqual(try parser.feed(Array("\n".utf8)), ["half"])
    }

    func testAnEndlessLineIsRefused() {
        var parser = ServerSentEvents()
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        XCTAssertThrowsError(try { for _ in 0..<9 { _ = try parser.feed(chunk) } }())
    }
}
