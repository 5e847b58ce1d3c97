import Foundation
import XCTest
@testable import PagodaEngine

/// The engine's door on a tiny random model: conversations made, forked, truncated and
/// released through `Engine` alone; the snapshot stream following the cache; a reply to
/// messages rendered and cut to fit on the engine's queue; direct logits.
final class EngineConversationTests: XCTestCase {
    func engine(kvBlocks: Int = 32) throws -> Engine {
        var options = EngineOptions()
        options.kvTokens = kvBlocks * options.blockTokens
        options.threads = 2
        return try Engine(file: TinyModel.make(), options: options)
    }

    func finish(_ stream: AsyncStream<GenerationEvent>) async -> [GenerationEvent] {
        var events: [GenerationEvent] = []
        for await event in stream { events.append(event) }
        return events
    }

    func testConversationsAreMadeForkedTruncatedAndReleasedThroughTheEngine() async throws {
        let e = try engine()
        let a = e.createConversation()
        var request = Engine.Request(sequence: a, context: Array(1...40).map(TokenID.init))
        request.sampling = .greedy
        request.maxTokens = 3
        _ = await finish(e.generate(request))
        let held = try e.tokens(of: a)
        XCTAssertGreaterThanOrEqual(held.count, 40)
        XCTAssertEqual(Array(held.prefix(40)), request.input.tokensForTests)

        let b = try e.fork(a)
        XCTAssertEqual(try e.tokens(of: b), held)
        let shared = e.kvSnapshot().blocks.filter(\.isShared).count
        XCTAssertEqual(shared, (held.count + 15) / 16, "the fork shares every block")

        try e.truncate(b, to: 20)
        XCTAssertEqual(try e.tokens(of: b), Array(held.prefix(20)))
        XCTAssertEqual(e.kvSnapshot().sequences.first { $0.id == b }?.table.count, 2)

        e.release(a)
        e.release(b)
        XCTAssertEqual(e.kvSnapshot().usedBlocks, 0)
        XCTAssertThrowsError(try e.tokens(of: a)) { XCTAssertEqual($0 as? KVCacheError, .unknownSequence(a)) }
        e.release(a)  // releasing twice does nothing
    }

    func testTheSnapshotStreamStartsWithTheCacheAndFollowsItsChanges() async throws {
        let e = try engine()
        let stream = e.kvSnapshots()
        var iterator = stream.makeAsyncIterator()
        let first = await iterator.next()
        XCTAssertEqual(first, e.kvSnapshot())
        let a = e.createConversation()
        var request = Engine.Request(sequence: a, context: Array(1...30).map(TokenID.init))
        request.maxTokens = 2
        _ = await finish(e.generate(request))
        // The stream keeps the newest: after the generation, its last picture holds a.
        var latest = first!
        while latest.sequences.first(where: { $0.id == a })?.tokenCount ?? 0 < 30 {
            guard let next = await iterator.next() else { return XCTFail("the stream ended") }
            XCTAssertGreaterThan(next.version, latest.version, "each snapshot is a later picture")
            latest = next
        }
        XCTAssertGreaterThan(latest.usedBlocks, 0)
        e.release(a)
        let afterRelease = await iterator.next()
        XCTAssertEqual(afterRelease?.usedBlocks, 0)
    }

    func testAReplyToMessagesIsRenderedByTheEngineAndCutWhereThePoolEnds() async throws {
        let e = try engine(kvBlocks: 4)  // 64 tokens in all
        let messages = [ChatMessage(.user, "hello there")]
        let expected = e.prompt(for: messages).tokens
        var request = Engine.Request(sequence: e.createConversation(), input: .messages(messages))
        request.contextPolicy = .dropOldest
        request.maxTokens = 500
        request.sampling = .greedy
        let events = await finish(e.generate(request))
        guard case .prompt(let report)? = events.first else { return XCTFail("the prompt comes first: \(events.prefix(1))") }
        XCTAssertEqual(report.tokens, expected)
        let room = try XCTUnwrap(report.replyRoom, "500 tokens do not fit in 64")
        XCTAssertEqual(room, 64 - expected.count)
        guard case .finished(let reason, let stats)? = events.last else { return XCTFail("finished comes last") }
        XCTAssertTrue(reason == .length || reason == .endOfGeneration, "\(reason)")
        XCTAssertLessThanOrEqual(stats.generatedTokens, room)
    }

    func testMessagesEndingWithAReplyContinueIt() async throws {
        let e = try engine()
        let earlier = [ChatMessage(.user, "count")]
        let messages = earlier + [ChatMessage(.assistant, "one two")]
        var request = Engine.Request(sequence: e.createConversation(), input: .messages(messages))
        request.maxTokens = 1
        let events = await finish(e.generate(request))
        guard case .prompt(let report)? = events.first else { return XCTFail("the prompt comes first") }
        XCTAssertEqual(report.tokens, e.prompt(for: earlier).tokens + e.tokenizer.encode("one two"), "no end of turn before the reply's own tokens")
    }

    func testDirectLogitsLeaveTheCacheAsItWas() throws {
        let e = try engine()
        let ids: [TokenID] = [1, 5, 9, 2, 7]
        var rows: [[Float]] = []
        let last = try e.logits(of: ids) { _, row in rows.append(Array(row)) }
        XCTAssertEqual(rows.count, ids.count)
        XCTAssertEqual(rows.last, last)
        XCTAssertEqual(try e.logits(of: Array(ids.prefix(3))), rows[2], "the same numbers from a shorter run")
        XCTAssertEqual(e.kvSnapshot().sequences.count, 0)
        XCTAssertTrue(last.allSatisfy(\.isFinite))
    }
}

extension Engine.Request.Input {
    var tokensForTests: [TokenID]? {
        if case .tokens(let ids) = self { return ids }
        return nil
    }
}
