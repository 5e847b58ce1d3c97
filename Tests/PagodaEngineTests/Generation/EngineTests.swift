import Foundation
import XCTest
@testable import PagodaEngine

/// Generation end to end on the default model.
final class EngineTests: XCTestCase {
    func engine(kvMiB: Int = 64, exact: Bool = false) throws -> Engine {
        var options = EngineOptions()
        options.kvBudgetBytes = kvMiB << 20
        options.quantizedActivations = !exact
        return try Engine(file: RealModels.file(.smolLM2), options: options)
    }

    func collect(_ stream: AsyncStream<GenerationEvent>) async -> (String, FinishReason?, GenerationStats?, [GenerationEvent]) {
        var text = "", reason: FinishReason?, stats: GenerationStats?, events: [GenerationEvent] = []
        for await event in stream {
            events.append(event)
            switch event {
            case .text(let t): text += t
            case .finished(let r, let s): reason = r; stats = s
            case .prompt, .promptProgress, .preempted, .decoded: break
            }
        }
        return (text, reason, stats, events)
    }

    /// With exact float products. The first step is a near tie ("L" or "The", see
    /// `testFastPathPicksOneOfLlamaCppsNearTiedTokens`); after "L" this small model wanders off.
    func testCapitalOfFranceIsParis() async throws {
        let e = try engine(exact: true)
        let context = try e.applyChatTemplate([
            ChatMessage(.system, PromptLibrary.smolLMPersona),
            ChatMessage(.user, "What is the capital of France?"),
        ])
        XCTAssertEqual(context.count, 37, "the reference conversation of ../shared/fixtures/logits")
        var request = Engine.Request(sequence: e.createConversation(), context: context)
        request.sampling = .greedy
        request.maxTokens = 30
        let (text, reason, stats, events) = await collect(e.generate(request))
        XCTAssertTrue(text.contains("Paris"), text)
        XCTAssertEqual(reason, .endOfGeneration)
        XCTAssertEqual(stats?.promptTokens, 37)
        XCTAssertGreaterThan(stats?.generatedTokens ?? 0, 1)
        XCTAssertEqual(events.first, .prompt(PromptReport(tokens: context)), "the prompt as the engine runs it comes first")
        XCTAssertEqual(events.dropFirst().first, .promptProgress(done: 0, total: 37))
        guard case .finished = events.last else { return XCTFail("finished comes last") }
        // A live count for each token out, its clock never going back.
        let decoded = events.compactMap { event -> (Int, Double)? in
            if case .decoded(let n, let seconds) = event { return (n, seconds) } else { return nil }
        }
        XCTAssertEqual(decoded.map(\.0), Array(1...decoded.count))
        XCTAssertGreaterThanOrEqual(decoded.count, (stats?.generatedTokens ?? 0) - 1, "every token but an end of turn")
        XCTAssertEqual(decoded.map(\.1), decoded.map(\.1).sorted())
    }

    /// At the end of the reference conversation llama.cpp's three best tokens lie within 0.15
    /// logits ("L" 24.33, "The" 24.27, …), closer than two correct implementations' rounding
    /// differs; the default path must pick one of the tokens within 0.5 of llama.cpp's best.
    func testFastPathPicksOneOfLlamaCppsNearTiedTokens() async throws {
        let folder = try SharedFixtures.folder("logits", needs: "llama.cpp's reference logits smollm2-france.f32 (+ .json)")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("smollm2-france.f32.json"))) as! [String: Any]
        let vocabulary = meta["n_vocab"] as! Int, count = (meta["ids"] as! [Int]).count
        let reference = try Data(contentsOf: folder.appendingPathComponent("smollm2-france.f32")).withUnsafeBytes {
            Array($0.bindMemory(to: Float.self)[((count - 1) * vocabulary)..<(count * vocabulary)])
        }
        let best = reference.max()!
        let e = try engine()
        let nearTies = Set(reference.indices.filter { reference[$0] >= best - 0.5 }.map { e.tokenizer.decode([TokenID($0)]) })
        XCTAssertGreaterThan(nearTies.count, 1)
        let context = try e.applyChatTemplate([
            ChatMessage(.system, PromptLibrary.smolLMPersona),
            ChatMessage(.user, "What is the capital of France?"),
        ])
        var request = Engine.Request(sequence: e.createConversation(), context: context)
        request.sampling = .greedy
        request.maxTokens = 1
        let (text, _, _, _) = await collect(e.generate(request))
        XCTAssertTrue(nearTies.contains(text), "\(text) is not among llama.cpp's near-tied best tokens \(nearTies.sorted())")
    }

    /// A pool too small for two conversations: the second preempts the first (saying so) and
    /// finishes; the first is then recomputed from its context, preempting the second.
    func testFullPoolPreemptsTheOtherConversation() async throws {
        let e = try engine(kvMiB: 4)  // 11 blocks of 16 tokens
        let blocks = e.model.cache.snapshot().totalBlocks
        func request(_ sequence: SequenceID, _ text: String) throws -> Engine.Request {
            // A distinct long prompt, so no prefix is shared: about two thirds of the pool.
            let words = (0..<(blocks * 16 * 2 / 3 / 2)).map { "\(text)\($0)" }.joined(separator: " ")
            var r = Engine.Request(sequence: sequence, context: Array(e.tokenizer.encode(words, addSpecial: false, parseSpecial: false)
                .prefix(blocks * 16 * 2 / 3)))
            r.sampling = .greedy
            r.maxTokens = 4
            return r
        }
        let a = e.createConversation(), b = e.createConversation()
        let first = await collect(e.generate(try request(a, "apple")))
        XCTAssertEqual(first.1, .length, "\(first.3.last!)")
        let second = await collect(e.generate(try request(b, "pear")))
        XCTAssertEqual(second.1, .length, "\(second.3.last!)")
        let preempted = second.3.compactMap { event -> SequenceID? in
            if case .preempted(let id, let freed) = event, freed > 0 { return id }
            return nil
        }
        XCTAssertEqual(preempted, [a])
        XCTAssertEqual(try e.model.cache.tokenCount(of: a), 0)
        let again = await collect(e.generate(try request(a, "apple")))
        XCTAssertEqual(again.1, .length, "\(again.3.last!)")
        XCTAssertEqual(again.0, first.0, "recomputed from its context, the same greedy reply")
        XCTAssertTrue(again.3.contains { if case .preempted(b, _) = $0 { return true } else { return false } })
    }

    func testSameSeedSameReplyAndANewTurnReusesTheCache() async throws {
        let e = try engine()
        var sampling = SamplingParameters()
        sampling.temperature = 0.9
        sampling.seed = 42
        let context = try e.applyChatTemplate([ChatMessage(.user, "Tell me a short story about a cat.")])
        var replies: [String] = []
        for _ in 0..<2 {
            var request = Engine.Request(sequence: e.createConversation(), context: context)
            request.sampling = sampling
            request.maxTokens = 24
            replies.append(await collect(e.generate(request)).0)
        }
        XCTAssertEqual(replies[0], replies[1])
        // The second conversation found the first one's full blocks in the prefix cache.
        let snapshot = e.model.cache.snapshot()
        XCTAssertGreaterThan(snapshot.sharedBlocks, 0)
    }

    func testStopStringEndsTheReply() async throws {
        let e = try engine()
        var request = Engine.Request(sequence: e.createConversation(),
                                     context: try e.applyChatTemplate([ChatMessage(.user, "Count from 1 to 10, separated by commas.")]))
        request.sampling = .greedy
        request.maxTokens = 60
        request.stopStrings = ["5"]
        let (text, reason, _, _) = await collect(e.generate(request))
        XCTAssertEqual(reason, .stopString("5"), text)
        XCTAssertFalse(text.contains("5"))
    }

    func testAPromptLongerThanThePoolIsAClearError() async throws {
        let e = try engine(kvMiB: 1)  // 2 blocks of 16 tokens
        let long = Array(repeating: TokenID(28), count: 200)
        let (_, reason, _, _) = await collect(e.generate(Engine.Request(sequence: e.createConversation(), context: long)))
        guard case .failed(let message) = reason else { return XCTFail("\(String(describing: reason))") }
        XCTAssertTrue(message.contains("KV cache is full"), message)
    }

    func testCancellingStopsBeforeTheLimit() async throws {
        let e = try engine()
        var request = Engine.Request(sequence: e.createConversation(),
                                     context: try e.applyChatTemplate([ChatMessage(.user, "Write a long essay about the sea.")]))
        request.sampling = .greedy
        request.maxTokens = 400
        var pieces = 0
        for await event in e.generate(request) {
            if case .text = event { pieces += 1 }
            if pieces == 3 { break }  // dropping the stream cancels the generation
        }
        // Stopped with a signal, the stats still time the tokens that came out.
        let stop = StopSignal()
        var again = Engine.Request(sequence: e.createConversation(), input: request.input)
        again.sampling = .greedy
        again.maxTokens = 400
        var stats: GenerationStats?
        var texts = 0
        for await event in e.generate(again, stop: stop) {
            if case .text = event { texts += 1; if texts == 5 { stop.stop() } }
            if case .finished(let reason, let s) = event { XCTAssertEqual(reason, .cancelled); stats = s }
        }
        XCTAssertGreaterThan(stats?.generatedTokens ?? 0, 1)
        XCTAssertGreaterThan(stats?.decodeSeconds ?? 0, 0, "a stopped reply has a decode time, so its t/s is not 0.0")
        // The engine's queue is free again soon: a new request completes.
        var next = Engine.Request(sequence: e.createConversation(), context: [1, 9690])
        next.maxTokens = 1
        let (_, reason, _, _) = await collect(e.generate(next))
        XCTAssertNotNil(reason)
    }
}
