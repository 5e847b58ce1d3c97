import Foundation
import PagodaEngine
import XCTest
@testable import PagodaTUI

final class UpdateTests: XCTestCase {
    func type(_ s: inout AppState, _ text: String) {
        for c in text { _ = update(&s, .key(.character(c))) }
    }

    func send(_ s: inout AppState, _ text: String) -> [Effect] {
        type(&s, text)
        return update(&s, .key(.enter))
    }

    func testSendingStartsAGenerationWithTheWholeConversation() {
        var s = Fixtures.state()
        let effects = send(&s, "Hello")
        guard case .generate(let id, 1, nil, let messages, _)? = effects.first else { return XCTFail("\(effects)") }
        XCTAssertEqual(messages, [ChatMessage(.system, "Be kind."), ChatMessage(.user, "Hello")])
        XCTAssertEqual(s.generation?.id, id)
        XCTAssertEqual(s.current.entries.map(\.kind), [.user, .assistant])
        XCTAssertTrue(s.current.entries[1].streaming)
        XCTAssertEqual(s.input.text, "")
    }

    func testStreamingTextFinishedAndStaleEvents() {
        var s = Fixtures.state()
        _ = send(&s, "Hi")
        let id = s.generation!.id
        _ = update(&s, .generation(id: id, .promptProgress(done: 10, total: 20)))
        XCTAssertEqual(s.generation?.promptDone, 10)
        _ = update(&s, .generation(id: id, .text("Hel")))
        _ = update(&s, .generation(id: id + 7, .text("STALE")))
        _ = update(&s, .generation(id: id, .text("lo")))
        var stats = GenerationStats()
        stats.promptTokens = 20
        stats.generatedTokens = 2
        _ = update(&s, .generation(id: id, .finished(.endOfGeneration, stats)))
        XCTAssertEqual(s.current.entries.last?.text, "Hello")
        XCTAssertFalse(s.current.entries.last!.streaming)
        XCTAssertNil(s.generation)
        XCTAssertEqual(s.current.contextTokens, 21, "as the cache holds them: the last token sampled is not fed back")
        _ = update(&s, .generation(id: id, .text("late")))
        XCTAssertEqual(s.current.entries.last?.text, "Hello", "tokens of a finished reply never leak")
    }

    func testEscStopsAndThePartialReplyStaysMarked() {
        var s = Fixtures.state()
        _ = send(&s, "Hi")
        let id = s.generation!.id
        _ = update(&s, .generation(id: id, .text("Partial")))
        XCTAssertEqual(update(&s, .key(.escape)), [.cancel(id: id)])
        _ = update(&s, .generation(id: id, .finished(.cancelled, GenerationStats())))
        XCTAssertEqual(s.current.entries.last?.text, "Partial")
        XCTAssertTrue(s.current.entries.last!.stopped)
        XCTAssertTrue(RootView.render(s).text.contains("Partial [stopped]"))
    }

    func testCtrlCAsksBeforeQuittingAndCtrlDQuits() {
        var s = Fixtures.state()
        XCTAssertEqual(update(&s, .key(.control("c"))), [])
        XCTAssertTrue(s.confirmingQuit)
        XCTAssertEqual(update(&s, .key(.character("n"))), [])
        XCTAssertFalse(s.shouldQuit)
        _ = update(&s, .key(.control("c")))
        XCTAssertEqual(update(&s, .key(.control("c"))), [.quit])
        var t = Fixtures.state()
        XCTAssertEqual(update(&t, .key(.control("d"))), [.quit])
        XCTAssertTrue(t.shouldQuit)
    }

    func testTypingWhileAReplyStreams() {
        var s = Fixtures.state()
        _ = send(&s, "Hi")
        type(&s, "next")
        XCTAssertEqual(s.input.text, "next")
        XCTAssertEqual(update(&s, .key(.enter)), [], "it waits for the reply streaming now")
        XCTAssertEqual(s.current.entries.last, TranscriptEntry(.user, "next"), "sent, not left in the input line")
        XCTAssertEqual(s.status, "sent: the reply starts when the one streaming now ends")
    }

    func testMultiLineInput() {
        var s = Fixtures.state()
        type(&s, "line one\\")
        _ = update(&s, .key(.enter))
        type(&s, "two")
        _ = update(&s, .key(.altEnter))
        type(&s, "three")
        XCTAssertEqual(s.input.text, "line one\ntwo\nthree")
    }

    func testConversationsNewSwitchForkClear() {
        var s = Fixtures.state()
        _ = send(&s, "Hi")
        _ = update(&s, .sequenceAssigned(conversation: 1, SequenceID(raw: 0)))
        _ = update(&s, .generation(id: s.generation!.id, .finished(.endOfGeneration, GenerationStats())))
        XCTAssertEqual(send(&s, "/fork"), [.fork(source: SequenceID(raw: 0), conversation: 2)])
        XCTAssertEqual(s.focused, 1)
        XCTAssertEqual(s.current.number, 2)
        XCTAssertEqual(s.current.messages.count, 3)
        _ = send(&s, "/new")
        XCTAssertEqual(s.conversations.count, 3)
        _ = update(&s, .key(.control("n")))
        XCTAssertEqual(s.focused, 0)
        _ = update(&s, .key(.control("p")))
        XCTAssertEqual(s.focused, 2)
        _ = send(&s, "/switch 1")
        XCTAssertEqual(s.focused, 0)
        XCTAssertEqual(send(&s, "/clear"), [.release(SequenceID(raw: 0))])
        XCTAssertEqual(s.current.entries.map(\.kind), [.notice], "only the notice that it was cleared")
        XCTAssertNil(s.current.sequence)
    }

    /// `/list`: a line per conversation, its first line as title cut with an ellipsis, the
    /// model when it is another one; switching to that one says replies come from this model.
    func testListShowsOneLinePerConversationAndTheModelOfEach() {
        var s = Fixtures.state(width: 80, height: 24)
        _ = send(&s, "First line of a long question that goes on and on and on past the width\\")
        _ = send(&s, "second line")
        _ = update(&s, .generation(id: s.generation!.id, .finished(.endOfGeneration, GenerationStats())))
        var old = Conversation(number: 7, systemPrompt: nil, model: "SmolLM2-135M-Instruct.Q4_1.gguf")
        old.entries = [TranscriptEntry(.user, "Hi"), TranscriptEntry(.assistant, "Hello")]
        old.contextTokens = 12
        s.conversations.append(old)
        Fixtures.draw(&s)
        _ = send(&s, "/list")
        let list = s.current.entries.last!.text.split(separator: "\n").map(String.init)
        XCTAssertEqual(list.count, 2, "\(list)")
        XCTAssertTrue(list[0].hasPrefix("▸ 1 · 1 turn · "), list[0])
        XCTAssertTrue(list[0].hasSuffix("…"), list[0])
        XCTAssertFalse(list[0].contains("second line"))
        XCTAssertLessThanOrEqual(displayWidth(list[0]), 80 - TranscriptView.markWidth)
        XCTAssertEqual(list[1], "  7 · 1 turn · 12 tokens · SmolLM2-135M-Instruct.Q4_1.gguf · Hi")
        _ = send(&s, "/switch 7")
        XCTAssertTrue(s.current.entries.last!.text.contains("was held with SmolLM2-135M-Instruct.Q4_1.gguf; replies now come from Tiny"), s.current.entries.last!.text)
        _ = send(&s, "Again")
        XCTAssertEqual(s.current.model, "Tiny", "from now on it is held with this model")
    }

    func testPreemptionIsSaidInBothConversations() {
        var s = Fixtures.state()
        _ = send(&s, "Hi")
        _ = update(&s, .sequenceAssigned(conversation: 1, SequenceID(raw: 0)))
        _ = update(&s, .generation(id: s.generation!.id, .finished(.endOfGeneration, GenerationStats())))
        _ = send(&s, "/new")
        _ = send(&s, "Hello")
        _ = update(&s, .sequenceAssigned(conversation: 2, SequenceID(raw: 1)))
        _ = update(&s, .generation(id: s.generation!.id, .preempted(SequenceID(raw: 0), freedBlocks: 3)))
        // The notice goes just before the reply, which stays last and keeps streaming.
        let entries = s.conversations[1].entries
        XCTAssertEqual(entries[entries.count - 2].kind, .notice)
        XCTAssertTrue(entries[entries.count - 2].text.contains("conversation 1 was preempted (3 blocks freed)"))
        XCTAssertEqual(s.conversations[1].streamingReply, entries.count - 1)
        XCTAssertTrue(s.conversations[0].entries.last?.text.contains("recomputed from the transcript") ?? false)
        XCTAssertEqual(s.conversations[0].sequence, SequenceID(raw: 0), "the sequence is kept, to be refilled")
        XCTAssertNotNil(s.generation, "the reply goes on")
    }

    /// A reply right after a preemption was lost: its text went nowhere once the notice was
    /// the last entry, and an empty assistant entry stayed "streaming" and was stored.
    func testAReplyAfterAPreemptionKeepsItsText() {
        var s = Fixtures.state()
        _ = send(&s, "Tell me a story")
        _ = update(&s, .sequenceAssigned(conversation: 1, SequenceID(raw: 0)))
        _ = update(&s, .generation(id: s.generation!.id, .finished(.endOfGeneration, GenerationStats())))
        _ = send(&s, "/new")
        _ = send(&s, "Hi")
        let id = s.generation!.id
        _ = update(&s, .generation(id: id, .text("Hel")))
        _ = update(&s, .generation(id: id, .preempted(SequenceID(raw: 0), freedBlocks: 2)))
        XCTAssertTrue(s.current.entries.contains { $0.text.contains("was preempted") })
        _ = update(&s, .generation(id: id, .text("lo")))
        _ = update(&s, .generation(id: id, .finished(.endOfGeneration, GenerationStats())))
        let replies = s.current.entries.filter { $0.kind == .assistant }
        XCTAssertEqual(replies.map(\.text), ["Hello"])
        XCTAssertFalse(replies.contains { $0.streaming }, "the reply is finished")
        XCTAssertEqual(s.current.messages.last, ChatMessage(.assistant, "Hello"), "the next prompt holds it")
    }

    func testSetShowSystemRegenAndBadCommands() {
        var s = Fixtures.state()
        _ = send(&s, "/set temp 0.2")
        XCTAssertEqual(s.settings.sampling.temperature, 0.2)
        _ = send(&s, "/set top_k -3")
        XCTAssertEqual(s.current.entries.last?.kind, .error)
        XCTAssertTrue(s.current.entries.last!.text.contains("top_k"))
        _ = send(&s, "/set n_predict 99")
        XCTAssertEqual(s.settings.maxTokens, 99)
        _ = send(&s, "/frobnicate")
        XCTAssertTrue(s.current.entries.last!.text.contains("unknown command /frobnicate"))
        XCTAssertEqual(send(&s, "/system pirate"), [.loadSystemPrompt(name: "pirate", conversation: 1)])
        _ = send(&s, "/system You are terse and exact.")
        XCTAssertEqual(s.current.systemPrompt, "You are terse and exact.")
        _ = send(&s, "/regen")
        XCTAssertTrue(s.current.entries.last!.text.contains("no reply"))
        _ = send(&s, "Q")
        _ = update(&s, .generation(id: s.generation!.id, .text("A")))
        _ = update(&s, .generation(id: s.generation!.id, .finished(.endOfGeneration, GenerationStats())))
        let effects = send(&s, "/regen")
        guard case .generate(_, _, _, let messages, _)? = effects.first else { return XCTFail("\(effects)") }
        XCTAssertEqual(messages.last, ChatMessage(.user, "Q"), "the old reply is dropped")
        _ = send(&s, "/help")
        // The regenerated reply streams, so the help goes just before it.
        XCTAssertTrue(s.current.entries[s.current.entries.count - 2].text.contains("/fork"))
    }

    func testSwitchAndClearSayWhatTheyDid() {
        var s = Fixtures.state()
        _ = send(&s, "/switch 99")
        XCTAssertEqual(s.current.entries.last?.text, "there is no conversation 99 (/list shows them)")
        _ = send(&s, "/switch one")
        XCTAssertTrue(s.current.entries.last!.text.contains("needs a conversation number"))
        _ = send(&s, "Hi")
        _ = update(&s, .sequenceAssigned(conversation: 1, SequenceID(raw: 0)))
        _ = update(&s, .generation(id: s.generation!.id, .finished(.endOfGeneration, GenerationStats())))
        XCTAssertNotNil(s.current.lastStats)
        _ = send(&s, "/new")
        _ = send(&s, "/switch 1")
        XCTAssertEqual(s.status, "conversation 1: 1 turn")
        _ = send(&s, "/list")
        XCTAssertTrue(s.current.entries.last!.text.contains("1 · 1 turn ·"), s.current.entries.last!.text)
        XCTAssertEqual(send(&s, "/clear"), [.release(SequenceID(raw: 0))])
        XCTAssertEqual(s.current.entries.map(\.text), ["cleared: the history is gone and its KV blocks are freed"])
        XCTAssertNil(s.current.lastStats, "the last turn's stats go with it")
    }

    func testAContextPolicyActionIsAnnouncedInItsConversation() {
        var s = Fixtures.state()
        _ = send(&s, "/new")
        _ = update(&s, .contextTrimmed(conversation: 1, dropped: 4, policy: .dropOldest))
        XCTAssertEqual(s.conversations[0].entries.last?.text,
                       "context full: 4 earlier messages left out of the prompt (--context-policy drop-oldest); the transcript keeps them")
        XCTAssertTrue(s.conversations[1].entries.isEmpty, "not in the conversation on screen")
    }

    func testAReplyCutAtTheTokenLimitIsMarkedAndContinues() {
        var s = Fixtures.state()
        _ = send(&s, "Count to 100")
        let first = s.generation!.id
        _ = update(&s, .generation(id: first, .text("1, 2, 3")))
        _ = update(&s, .generation(id: first, .finished(.length, GenerationStats())))
        XCTAssertTrue(s.current.entries.last!.cutAtLimit)
        let effects = send(&s, "/continue")
        guard case .generate(let id, _, _, let messages, _)? = effects.first else { return XCTFail("\(effects)") }
        XCTAssertEqual(messages.last, ChatMessage(.assistant, "1, 2, 3"), "the messages end with the reply to continue")
        _ = update(&s, .generation(id: id, .text(", 4")))
        _ = update(&s, .generation(id: id, .finished(.endOfGeneration, GenerationStats())))
        let replies = s.current.entries.filter { $0.kind == .assistant }
        XCTAssertEqual(replies.map(\.text), ["1, 2, 3, 4"], "the same reply went on")
        XCTAssertFalse(replies[0].cutAtLimit || replies[0].streaming)
        _ = send(&s, "/clear")
        _ = send(&s, "/continue")
        XCTAssertEqual(s.current.entries.last?.text, "there is no reply to continue")
    }

    /// Typed while a reply streams: the message is kept, shown and saved at once, and gets
    /// its reply when the streaming one ends; a command typed then is a command. (It used to
    /// stay in the input line and be sent with whatever came next, merging two turns.)
    func testMessagesSentDuringAReplyWaitTheirTurnInOrder() {
        var s = Fixtures.state()
        _ = send(&s, "A")
        let first = s.generation!.id
        _ = update(&s, .generation(id: first, .text("a")))
        XCTAssertEqual(send(&s, "B"), [], "nothing starts yet")
        XCTAssertEqual(s.current.entries.last, TranscriptEntry(.user, "B"))
        XCTAssertTrue(s.input.isEmpty, "the input line is free for the next message")
        XCTAssertEqual(send(&s, "/new"), [])
        XCTAssertEqual(s.conversations.count, 2, "/new mid-reply is a command")
        _ = send(&s, "C")
        XCTAssertEqual(s.waitingForReply, [1, 2])
        let second = update(&s, .generation(id: first, .finished(.endOfGeneration, GenerationStats())))
        guard case .generate(let id2, 1, _, let messages, _)? = second.first else { return XCTFail("\(second)") }
        XCTAssertEqual(messages.map(\.content), ["Be kind.", "A", "a", "B"])
        let third = update(&s, .generation(id: id2, .finished(.endOfGeneration, GenerationStats())))
        guard case .generate(_, 2, _, let messages3, _)? = third.first else { return XCTFail("\(third)") }
        XCTAssertEqual(messages3.last, ChatMessage(.user, "C"))
        XCTAssertTrue(s.waitingForReply.isEmpty)
    }

    func testShowSaysWhichSystemPromptIsInForce() {
        var s = Fixtures.state()
        _ = send(&s, "/show")
        XCTAssertTrue(s.current.entries.last!.text.contains("system prompt: \"Be kind.\""), s.current.entries.last!.text)
        s.current.systemPrompt = nil
        _ = send(&s, "/show")
        XCTAssertTrue(s.current.entries.last!.text.contains("system prompt: none (the model's template uses its own default)"))
    }

    func testTabCompletesCommandsAndSettings() {
        var s = Fixtures.state()
        type(&s, "/fo")
        _ = update(&s, .key(.tab))
        XCTAssertEqual(s.input.text, "/fork ")
        s.input = InputLine()
        type(&s, "/set rep")
        _ = update(&s, .key(.tab))
        XCTAssertEqual(s.input.text, "/set repeat_penalty ")
    }

    /// An ambiguous prefix completes as far as it can and lists what fits; `/system` names
    /// come from the prompts folder.
    func testTabListsTheCandidatesAndCompletesPromptNames() {
        var s = Fixtures.state()
        s.promptNames = ["coder", "concise", "smollm"]
        type(&s, "/s")
        _ = update(&s, .key(.tab))
        XCTAssertEqual(s.input.text, "/s")
        XCTAssertEqual(s.status, "/switch  /system  /set  /show")
        type(&s, "ys")
        _ = update(&s, .key(.tab))
        XCTAssertEqual(s.input.text, "/system ")
        XCTAssertNil(s.status)
        type(&s, "co")
        _ = update(&s, .key(.tab))
        XCTAssertEqual(s.input.text, "/system co")
        XCTAssertEqual(s.status, "coder  concise")
        type(&s, "d")
        _ = update(&s, .key(.tab))
        XCTAssertEqual(s.input.text, "/system coder ")
        XCTAssertEqual(update(&s, .key(.enter)), [.loadSystemPrompt(name: "coder", conversation: 1)])
    }

    /// `/delete N` removes a conversation (and asks the runtime to free and unstore it);
    /// the last one is replaced by a fresh one; `/rename` titles; `/export` writes by extension.
    /// Messages name conversations by number: a forked sequence that arrives after an earlier
    /// conversation was deleted (its position taken by the next) lands on the fork; another
    /// conversation can be deleted while a reply streams.
    func testResultsFindTheirConversationAfterADeleteMovesIt() {
        var s = Fixtures.state()
        _ = send(&s, "Hi")
        _ = update(&s, .sequenceAssigned(conversation: 1, SequenceID(raw: 0)))
        _ = update(&s, .generation(id: s.generation!.id, .finished(.endOfGeneration, GenerationStats())))
        _ = send(&s, "/new")                                  // number 2, empty
        _ = send(&s, "/switch 1")
        XCTAssertEqual(send(&s, "/fork"), [.fork(source: SequenceID(raw: 0), conversation: 3)])
        XCTAssertEqual(s.conversations.map(\.number), [1, 2, 3])
        guard case .delete? = send(&s, "/delete 2").first else { return XCTFail("conversation 2 is idle: it can go") }
        XCTAssertEqual(s.conversations.map(\.number), [1, 3], "the fork moved up a place")
        _ = update(&s, .sequenceAssigned(conversation: 3, SequenceID(raw: 7)))
        XCTAssertEqual(s.conversations.map(\.sequence), [SequenceID(raw: 0), SequenceID(raw: 7)])
        // While conversation 3 streams, conversation 1 can be deleted; the reply still arrives.
        _ = send(&s, "/switch 3")
        _ = send(&s, "And then?")
        let id = s.generation!.id
        guard case .delete? = send(&s, "/delete 1").first else { return XCTFail("conversation 1 is idle") }
        _ = update(&s, .generation(id: id, .text("Then more.")))
        XCTAssertEqual(s.conversations.map(\.number), [3])
        XCTAssertEqual(s.current.entries.last?.text, "Then more.")
    }

    func testDeleteRenameAndExport() {
        var s = Fixtures.state()
        _ = send(&s, "Hi")
        _ = update(&s, .sequenceAssigned(conversation: 1, SequenceID(raw: 0)))
        _ = update(&s, .generation(id: s.generation!.id, .text("Hello")))
        _ = send(&s, "/delete 1")
        XCTAssertTrue(s.current.entries.contains { $0.text.contains("wait for its reply to finish") }, "its reply is on the way")
        _ = update(&s, .generation(id: s.generation!.id, .finished(.endOfGeneration, GenerationStats())))
        _ = send(&s, "/rename  Greetings ")
        XCTAssertEqual(s.current.displayTitle, "Greetings")
        guard case .export(let path, let markdown)? = send(&s, "/export out.md").first else { return XCTFail() }
        XCTAssertEqual(path, "out.md")
        XCTAssertTrue(markdown.hasPrefix("# Greetings\n"), markdown)
        XCTAssertTrue(markdown.contains("## You\n\nHi\n\n## Assistant\n\nHello\n"), markdown)
        _ = send(&s, "/export out.txt")
        XCTAssertEqual(s.current.entries.last?.text, "usage: /export FILE.md or /export FILE.json")
        _ = send(&s, "/delete 5")
        XCTAssertEqual(s.current.entries.last?.text, "there is no conversation 5 (/list shows them)")
        let effects = send(&s, "/delete 1")
        guard case .delete(let gone)? = effects.first else { return XCTFail("\(effects)") }
        XCTAssertEqual(gone.number, 1)
        XCTAssertEqual(gone.sequence, SequenceID(raw: 0), "the runtime frees its blocks")
        XCTAssertEqual(s.conversations.map(\.number), [2], "a fresh conversation takes the last one's place")
        XCTAssertEqual(s.status, "deleted conversation 1: Greetings")
        _ = send(&s, "/rename")
        XCTAssertNil(s.current.title)
    }

    func testJSONExportIsTheMessagesAsChatAPIsTakeThem() throws {
        var c = Conversation(number: 4, systemPrompt: "Be brief.", model: "m.gguf")
        var reply = TranscriptEntry(.assistant, "Paris \"and\" more")
        reply.stopped = true
        c.entries = [TranscriptEntry(.user, "Capital of France?"), TranscriptEntry(.notice, "not exported"), reply]
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ConversationExport.json(c).utf8)) as? [String: Any])
        XCTAssertEqual(json["number"] as? Int, 4)
        XCTAssertEqual(json["model"] as? String, "m.gguf")
        XCTAssertEqual(json["title"] as? String, "Capital of France?")
        let messages = try XCTUnwrap(json["messages"] as? [[String: Any]])
        XCTAssertEqual(messages.map { $0["role"] as? String }, ["system", "user", "assistant"])
        XCTAssertEqual(messages[2]["content"] as? String, "Paris \"and\" more")
        XCTAssertEqual(messages[2]["stopped"] as? Bool, true)
        XCTAssertNil(messages[1]["stopped"])
    }

    func testScrollingNeverYanksTheReaderAway() {
        var s = Fixtures.state(width: 80, height: 14)
        for i in 0..<12 {
            _ = send(&s, "question \(i)")
            _ = update(&s, .generation(id: s.generation!.id, .finished(.endOfGeneration, GenerationStats())))
        }
        Fixtures.draw(&s)
        _ = update(&s, .key(.pageUp))
        guard case .fromTop = s.current.scroll else { return XCTFail("PgUp leaves the bottom: \(s.current.scroll)") }
        _ = send(&s, "more")
        XCTAssertEqual(s.current.scroll, .following, "sending goes back to the bottom")
        Fixtures.draw(&s)
        _ = update(&s, .key(.pageUp))
        let reading = Fixtures.draw(&s).row(3)
        _ = update(&s, .generation(id: s.generation!.id, .text("a long answer that wraps over more than one line of the transcript pane, and then some more")))
        _ = update(&s, .info("a notice while the reply streams"))
        XCTAssertEqual(Fixtures.draw(&s).row(3), reading, "the lines being read stay put")
        _ = update(&s, .key(.end))
        XCTAssertEqual(s.current.scroll, .following)
    }

    func testScrollingCountsTheScreenLastDrawn() throws {
        var s = Fixtures.state(width: 80, height: 14)
        for i in 0..<12 {
            _ = send(&s, "question \(i)")
            _ = update(&s, .generation(id: s.generation!.id, .finished(.endOfGeneration, GenerationStats())))
        }
        _ = update(&s, .key(.pageUp))
        XCTAssertEqual(s.current.scroll, .following, "nothing drawn yet: nothing to scroll against")
        Fixtures.draw(&s)
        let v = try XCTUnwrap(s.viewport)
        XCTAssertEqual(v.conversation, s.current.number)
        XCTAssertGreaterThan(v.transcriptLines, v.transcriptHeight)
        _ = update(&s, .key(.pageUp))
        XCTAssertEqual(s.current.scroll, .fromTop(v.bottomTop - (v.transcriptHeight - 1)))
        _ = update(&s, .key(.home))
        XCTAssertEqual(s.current.scroll, .fromTop(0))
        XCTAssertTrue(Fixtures.draw(&s).row(1).contains("question 0"), "Home shows the first line")
        XCTAssertTrue(Fixtures.draw(&s).row(s.viewport!.transcriptHeight).contains("more lines (End)"))
        for _ in 0..<20 { _ = update(&s, .key(.pageDown)) }
        XCTAssertEqual(s.current.scroll, .following, "paging down to the end follows the bottom again")

        // A wider terminal rewraps into fewer lines: a position past the new end follows.
        _ = update(&s, .key(.pageUp))
        s.conversations[s.focused].scroll = .fromTop(v.bottomTop)
        _ = update(&s, .resize(width: 80, height: 40))
        Fixtures.draw(&s)
        XCTAssertEqual(s.current.scroll, .following)
    }

    func testF2TogglesWhatWasOnScreen() {
        var s = Fixtures.state(width: 120, height: 30)
        Fixtures.draw(&s)
        XCTAssertEqual(s.viewport?.statsShown, true, "wide enough: shown by default")
        _ = update(&s, .key(.function(2)))
        XCTAssertEqual(s.statsVisible, false)
        Fixtures.draw(&s)
        XCTAssertEqual(s.viewport?.statsShown, false)
        _ = update(&s, .key(.function(2)))
        Fixtures.draw(&s)
        XCTAssertEqual(s.viewport?.statsShown, true)

        var narrow = Fixtures.state(width: 60, height: 30)
        Fixtures.draw(&narrow)
        XCTAssertEqual(narrow.viewport?.statsShown, false, "too narrow: hidden by default")
        _ = update(&narrow, .key(.function(2)))
        Fixtures.draw(&narrow)
        XCTAssertEqual(narrow.viewport?.statsShown, true, "F2 shows it over the transcript")
        _ = update(&narrow, .key(.function(2)))
        Fixtures.draw(&narrow)
        XCTAssertEqual(narrow.viewport?.statsShown, false, "and F2 again hides it")
    }
}
