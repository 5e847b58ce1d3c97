import Foundation
import XCTest
@testable import PagodaEngine

/// Prompts that cannot be used as asked: a template that fails while rendering falls back
/// to ChatML with the reason, and a prompt past the model's context fails before any of it
/// is computed.
final class EnginePromptTests: XCTestCase {
    func tinyEngine() throws -> Engine {
        var options = EngineOptions()
        options.kvBudgetBytes = 8 << 20
        return try Engine(file: TinyModel.make(), options: options)
    }

    func testATemplateThatFailsWhileRenderingFallsBackToChatMLWithTheReason() throws {
        let e = try tinyEngine()
        let messages = [ChatMessage(.user, "hi")]
        for source in ["{{ raise_exception('roles must alternate') }}", "{% for i in range(10**9) %}{% endfor %}",
                       "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"] {
            let template = try JinjaChatTemplate(source: source, name: "hostile")
            let prompt = e.prompt(for: messages, using: template)
            XCTAssertEqual(prompt.tokens, try e.applyChatTemplate(messages, using: ChatMLTemplate()), source)
            let warning = try XCTUnwrap(prompt.warning, source)
            XCTAssertTrue(warning.contains("'hostile' failed while rendering") && warning.contains("ChatML"), warning)
        }
        XCTAssertNil(e.prompt(for: messages, using: ChatMLTemplate()).warning)
    }

    func testAModelFileWhoseTemplateFailsWhileRenderingStillGetsItsTurn() throws {
        // The template parses (so the engine takes it) but exhausts memory when rendered.
        let file = try TinyModel.make(overrides: ["tokenizer.chat_template": .string("{{ 'x' * 10**10 }}")])
        let e = try Engine(file: file)
        XCTAssertNil(e.templateWarning)
        let prompt = e.prompt(for: [ChatMessage(.user, "hi")])
        XCTAssertEqual(prompt.tokens, try e.applyChatTemplate([ChatMessage(.user, "hi")], using: ChatMLTemplate()))
        XCTAssertTrue(prompt.warning?.contains("longer than the limit") ?? false, prompt.warning ?? "no warning")
    }

    func testTheContextPolicyLeavesOutWholeTurnsButNeverTheSystemPromptOrTheQuestion() throws {
        let e = try tinyEngine()
        var messages = [ChatMessage(.system, "Be brief.")]
        for i in 1...6 { messages += [ChatMessage(.user, "question \(i)"), ChatMessage(.assistant, String(repeating: "answer \(i) ", count: 10))] }
        messages.append(ChatMessage(.user, "the last question"))
        let whole = e.prompt(for: messages).tokens.count
        func kept(_ policy: ContextPolicy, _ limit: Int) throws -> [ChatMessage] {
            let prompt = e.prompt(for: messages, fitting: limit, policy: policy)
            // Find which messages were kept by rendering candidates the same way.
            let n = prompt.droppedMessages
            let start = policy == .truncateMiddle ? 3 : 1
            let survivors = Array(messages[..<start]) + Array(messages[(start + n)...])
            XCTAssertEqual(prompt.tokens, e.prompt(for: survivors).tokens, "\(policy): exactly whole turns are left out")
            return survivors
        }
        XCTAssertEqual(e.prompt(for: messages, fitting: whole, policy: .dropOldest).droppedMessages, 0, "it fits: nothing dropped")
        XCTAssertEqual(e.prompt(for: messages, fitting: whole / 2, policy: .stop).droppedMessages, 0)
        let oldest = try kept(.dropOldest, whole / 2)
        XCTAssertEqual(oldest.first, ChatMessage(.system, "Be brief."))
        XCTAssertEqual(oldest.last, ChatMessage(.user, "the last question"))
        XCTAssertFalse(oldest.contains(ChatMessage(.user, "question 1")))
        XCTAssertLessThanOrEqual(e.prompt(for: oldest).tokens.count, whole / 2)
        let middle = try kept(.truncateMiddle, whole / 2)
        XCTAssertEqual(Array(middle.prefix(2)), [ChatMessage(.system, "Be brief."), ChatMessage(.user, "question 1")], "the first turn stays")
        XCTAssertFalse(middle.contains(ChatMessage(.user, "question 2")))
        // Nothing left to drop: the prompt comes back whole, for the engine to refuse.
        XCTAssertEqual(e.prompt(for: messages, fitting: 10, policy: .dropOldest).tokens, e.prompt(for: [messages[0], messages.last!]).tokens)
    }

    func testAPromptPastTheContextFailsBeforePrefill() async throws {
        let e = try tinyEngine()  // context 512
        let request = Engine.Request(sequence: e.createConversation(), context: Array(repeating: 3, count: 600))
        var progress = 0
        var failure: String?
        for await event in e.generate(request) {
            if case .promptProgress = event { progress += 1 }
            if case .finished(.failed(let message), _) = event { failure = message }
        }
        XCTAssertEqual(progress, 0, "nothing was computed")
        let message = try XCTUnwrap(failure)
        XCTAssertTrue(message.contains("600 tokens") && message.contains("context of 512"), message)
    }
}
