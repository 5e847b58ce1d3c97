import Foundation
import XCTest
@testable import PagodaEngine

/// Continuous batching on a tiny random model (exact products, an f32 cache): requests run
/// together give the replies each gets alone, share forward passes, survive a pool too small
/// for all of them at once (preempted, recomputed, never lost), and a cancelled one leaves
/// the others alone.
final class SchedulerTests: XCTestCase {
    func engine(kvBlocks: Int) throws -> Engine {
        var options = EngineOptions()
        options.kvTokens = kvBlocks * options.blockTokens
        options.kvElement = .f32
        options.quantizedActivations = false
        options.threads = 2
        return try Engine(file: TinyModel.make(seed: 11), options: options)
    }

    func prompts(_ n: Int) -> [[TokenID]] {
        var rng = XorShift32(seed: 5)
        return (0..<n).map { i in (0..<(9 + 13 * i % 50)).map { _ in TokenID(rng.nextInt(1..<80)) } }
    }

    struct Reply: Equatable {
        var text = ""
        var reason: FinishReason?
        var generated = 0
    }

    func request(_ e: Engine, _ prompt: [TokenID], maxTokens: Int) -> Engine.Request {
        var r = Engine.Request(sequence: e.createConversation(), context: prompt)
        r.sampling = .greedy
        r.maxTokens = maxTokens
        return r
    }

    /// Runs the stream to its end: the reply's text and how it ended. (Not the tokens the
    /// sequence holds afterwards: a finished request's sequence is idle, and may be preempted
    /// for the others.)
    static func reply(_ e: Engine, _ r: Engine.Request, _ stream: AsyncStream<GenerationEvent>,
               onDecoded: (@Sendable () -> Void)? = nil) async throws -> Reply {
        var out = Reply()
        for await event in stream {
            if case .decoded = event { onDecoded?() }
            if case .text(let piece) = event { out.text += piece }
            if case .finished(let reason, let stats) = event {
                out.reason = reason
                out.generated = stats.generatedTokens
            }
        }
        return out
    }

    func alone(_ prompts: [[TokenID]], maxTokens: Int) async throws -> [Reply] {
        let e = try engine(kvBlocks: 64)
        var replies: [Reply] = []
        for p in prompts {
            let r = request(e, p, maxTokens: maxTokens)
            replies.append(try await Self.reply(e, r, e.generate(r)))
        }
        return replies
    }

    /// Runs all at once. With `arrivingInOneStep`, the engine's queue is held until every
    /// request is queued, so the loop admits them all in its first step.
    func together(_ e: Engine, _ prompts: [[TokenID]], maxTokens: Int, arrivingInOneStep: Bool = false) async throws -> [Reply] {
        let held = DispatchSemaphore(value: 0)
        if arrivingInOneStep { e.queue.async { held.wait() } }
        let requests = prompts.map { request(e, $0, maxTokens: maxTokens) }
        let streams = requests.map { e.generate($0) }
        if arrivingInOneStep {
            e.scheduler.prompts.sync {}  // every prompt prepared and in the inbox
            held.signal()
        }
        return try await withThrowingTaskGroup(of: (Int, Reply).self) { group in
            for i in requests.indices { group.addTask { (i, try await Self.reply(e, requests[i], streams[i])) } }
            var out = [Reply?](repeating: nil, count: requests.count)
            for try await (i, r) in group { out[i] = r }
            return out.map { $0! }
        }
    }

    func testRequestsRunTogetherGiveTheRepliesTheyGetAlone() async throws {
        let ps = prompts(5)
        let expected = try await alone(ps, maxTokens: 12)
        let e = try engine(kvBlocks: 64)
        let got = try await together(e, ps, maxTokens: 12)
        XCTAssertEqual(got, expected)
        XCTAssertTrue(expected.allSatisfy { $0.generated > 0 && !$0.text.isEmpty })
        XCTAssertEqual(Set(expected.map(\.text)).count, 5, "five different replies")
        let c = e.counters()
        XCTAssertGreaterThan(c.batchedSequences, c.steps, "passes carried more than one sequence")
        XCTAssertEqual(c.requestsFinished, 5)
        XCTAssertEqual(c.running + c.waiting, 0)
        XCTAssertEqual(c.promptTokens, ps.map(\.count).reduce(0, +))
        XCTAssertEqual(c.preemptions, 0)
    }

    func testAPoolTooSmallForAllPreemptsAndRecomputesLosingNothing() async throws {
        let ps = prompts(6)
        let expected = try await alone(ps, maxTokens: 20)
        // Each request alone takes at most 5 blocks of 16; six at once need about 20.
        let e = try engine(kvBlocks: 8)
        let got = try await together(e, ps, maxTokens: 20)
        XCTAssertEqual(got, expected)
        XCTAssertGreaterThan(e.counters().preemptions, 0, "the pool was too small for all six at once")
        XCTAssertEqual(e.counters().requestsFinished, 6)
    }

    /// Requests that reach the loop in the same step, into a pool too small for all of them
    /// (8 blocks of 16): a 70-token prompt and two of 40. Each resumed request takes its room
    /// from what the step has left, so the second pass does not ask for 10 blocks and fail the
    /// oldest, which alone fits.
    func testRequestsArrivingInOneStepIntoASmallPoolAllFinish() async throws {
        var rng = XorShift32(seed: 9)
        let ps = [70, 40, 40].map { n in (0..<n).map { _ in TokenID(rng.nextInt(1..<80)) } }
        let expected = try await alone(ps, maxTokens: 20)
        let e = try engine(kvBlocks: 8)
        let got = try await together(e, ps, maxTokens: 20, arrivingInOneStep: true)
        XCTAssertEqual(got, expected)
        for reply in got {
            if case .failed(let why)? = reply.reason { XCTFail("a request failed: \(why)") }
        }
        XCTAssertEqual(e.counters().requestsFinished, 3)
        XCTAssertEqual(e.counters().running + e.counters().waiting, 0)
    }

    /// A prompt still being prepared (a huge paste takes seconds to tokenize) holds up no
    /// running request: with the prompt queue held, the first request runs to its end while
    /// the second waits, then the second gets the reply it gets alone.
    func testAPromptBeingPreparedHoldsUpNoRunningRequest() async throws {
        let ps = prompts(2)
        let expected = try await alone(ps, maxTokens: 12)
        let e = try engine(kvBlocks: 64)
        let first = request(e, ps[0], maxTokens: 12)
        let firstStream = e.generate(first)
        e.scheduler.prompts.sync {}
        let held = DispatchSemaphore(value: 0)
        e.scheduler.prompts.async { held.wait() }  // stands for a long tokenization
        let second = request(e, ps[1], maxTokens: 12)
        let secondStream = e.generate(second)
        let a = try await Self.reply(e, first, firstStream)
        XCTAssertEqual(a, expected[0])
        XCTAssertEqual(e.counters().waiting, 1, "the second is still being prepared")
        XCTAssertEqual(e.counters().running, 0)
        held.signal()
        let b = try await Self.reply(e, second, secondStream)
        XCTAssertEqual(b, expected[1])
        XCTAssertEqual(e.counters().running + e.counters().waiting, 0)
    }

    func testACancelledRequestLeavesTheOthersAlone() async throws {
        let ps = prompts(3)
        let expected = try await alone(ps, maxTokens: 16)
        let e = try engine(kvBlocks: 64)
        // The one cancelled asks for far more tokens than it gets before the stop lands.
        let requests = ps.enumerated().map { i, p in request(e, p, maxTokens: i == 1 ? 400 : 16) }
        let stop = StopSignal()
        let streams = requests.enumerated().map { i, r in e.generate(r, stop: i == 1 ? stop : nil) }
        async let first = Self.reply(e, requests[0], streams[0])
        async let second = Self.reply(e, requests[1], streams[1], onDecoded: { stop.stop() })
        async let third = Self.reply(e, requests[2], streams[2])
        let (a, b, c) = try await (first, second, third)
        XCTAssertEqual(a, expected[0])
        XCTAssertEqual(c, expected[2])
        XCTAssertEqual(b.reason, .cancelled)
        XCTAssertLessThan(b.generated, 400)
        XCTAssertEqual(e.counters().running + e.counters().waiting, 0)
    }

    /// A request on a sequence another request still runs on (a client that sends the next
    /// turn before the last reply ended) waits for it to end, then gets the reply it gets
    /// alone; the two never share a pass.
    func testASecondRequestOnTheSameSequenceWaitsForTheFirst() async throws {
        let ps = prompts(2)
        let expected = try await alone(ps, maxTokens: 30)
        let e = try engine(kvBlocks: 64)
        let first = request(e, ps[0], maxTokens: 30)
        var second = Engine.Request(sequence: first.sequence, context: ps[1])
        second.sampling = .greedy
        second.maxTokens = 30
        var a = e.generate(first).makeAsyncIterator()
        // The first is running (it has sampled a token) when the second arrives.
        var head = Reply()
        while let event = await a.next() {
            if case .text(let piece) = event { head.text += piece }
            if case .decoded = event { break }
        }
        let b = e.generate(second)
        var rest = head
        while let event = await a.next() {
            if case .text(let piece) = event { rest.text += piece }
            if case .finished(let reason, let stats) = event { rest.reason = reason; rest.generated = stats.generatedTokens }
        }
        let y = try await Self.reply(e, second, b)
        XCTAssertEqual(rest, expected[0])
        XCTAssertEqual(y, expected[1])
    }
}
