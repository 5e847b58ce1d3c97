import Foundation
import PagodaEngine

/// The one place the UI state changes: applies `message` to `state` and returns the work
/// the runtime must do. Pure: no I/O, no clock, no engine calls.
public func update(_ state: inout AppState, _ message: AppMessage) -> [Effect] {
    switch message {
    case .key(let key): return handleKey(&state, key)
    case .paste(let text):
        state.input.insert(text)
        return []
    case .resize(let width, let height):
        state.width = width
        state.height = height
        for i in state.conversations.indices {
            state.conversations[i].scrollOffset = min(state.conversations[i].scrollOffset, maxScroll(state, i))
        }
        return []
    case .generation(let id, let event):
        return handleGeneration(&state, id, event)
    case .kvChanged(let snapshot):
        // Snapshots come from more than one thread; an older picture never replaces a newer.
        if snapshot.version >= state.kv?.version ?? 0 { state.kv = snapshot }
        return []
    case .memory(let bytes):
        state.residentBytes = bytes
        return []
    case .sequenceAssigned(let conversation, let sequence):
        if state.conversations.indices.contains(conversation) { state.conversations[conversation].sequence = sequence }
        return []
    case .systemPromptLoaded(let conversation, let text):
        guard state.conversations.indices.contains(conversation) else { return [] }
        state.conversations[conversation].systemPrompt = text
        appendNotice(&state, conversation, "system prompt set: \(text.prefix(60))\(text.count > 60 ? "…" : "")")
        return []
    case .contextTrimmed(let conversation, let dropped, let policy):
        appendNotice(&state, conversation, "context full: \(plural(dropped, "earlier message")) left out of the prompt "
                     + "(--context-policy \(policy.rawValue)); the transcript keeps them")
        return []
    case .notice(let text):
        appendNotice(&state, state.focused, text, kind: .error)
        return []
    case .info(let text):
        appendNotice(&state, state.focused, text)
        return []
    }
}

// MARK: - Keys

private func handleKey(_ s: inout AppState, _ key: Key) -> [Effect] {
    if s.confirmingQuit {
        s.confirmingQuit = false
        s.status = nil
        if key == .control("c") || key == .character("y") || key == .character("Y") {
            s.shouldQuit = true
            return [.quit]
        }
        return []
    }
    switch key {
    case .control("c"):
        if let g = s.generation { return [.cancel(id: g.id)] }
        s.confirmingQuit = true
        s.status = "quit? press Ctrl-C again or y (any other key stays)"
        return []
    case .control("d"):
        s.shouldQuit = true
        return [.quit] + (s.generation.map { [.cancel(id: $0.id)] } ?? [])
    case .escape:
        if let g = s.generation { return [.cancel(id: g.id)] }
        s.status = nil
        return []
    case .enter:
        if s.input.text.hasSuffix("\\") {
            s.input.moveToEnd()
            s.input.backspace()
            s.input.insert("\n")
            return []
        }
        return submit(&s)
    case .altEnter: s.input.insert("\n")
    case .tab:
        if let completion = SlashCommands.complete(s.input.text, promptNames: s.promptNames) {
            s.input.setText(completion.text)
            s.status = completion.candidates.isEmpty ? nil : completion.candidates.joined(separator: "  ")
        }
    case .control("n"): switchConversation(&s, to: (s.focused + 1) % s.conversations.count)
    case .control("p"): switchConversation(&s, to: (s.focused + s.conversations.count - 1) % s.conversations.count)
    case .control("t"), .function(2): s.statsVisible = !Layout(state: s).showsStats
    case .pageUp: scroll(&s, by: max(1, Layout(state: s).transcript.height - 1))
    case .pageDown: scroll(&s, by: -max(1, Layout(state: s).transcript.height - 1))
    case .wheelUp: scroll(&s, by: 3)
    case .wheelDown: scroll(&s, by: -3)
    case .home:
        if s.input.isEmpty { s.current.scrollOffset = maxScroll(s, s.focused) } else { s.input.moveToStart() }
    case .end:
        if s.input.isEmpty { s.current.scrollOffset = 0 } else { s.input.moveToEnd() }
    case .up: s.input.historyBack()
    case .down: s.input.historyForward()
    case .left: s.input.moveLeft()
    case .right: s.input.moveRight()
    case .backspace: s.input.backspace()
    case .delete: s.input.deleteForward()
    case .control("a"): s.input.moveToStart()
    case .control("e"): s.input.moveToEnd()
    case .control("k"): s.input.killToEnd()
    case .control("u"): s.input.killToStart()
    case .control("w"): s.input.deleteWordBack()
    case .character(let c): s.input.insert(String(c))
    default: break
    }
    return []
}

private func scroll(_ s: inout AppState, by lines: Int) {
    s.current.scrollOffset = min(max(0, s.current.scrollOffset + lines), maxScroll(s, s.focused))
}

/// How far conversation `i` can scroll up.
func maxScroll(_ s: AppState, _ i: Int) -> Int {
    let layout = Layout(state: s)
    return max(0, TranscriptView.lines(s.conversations[i], width: layout.transcript.width).count - layout.transcript.height)
}

private func switchConversation(_ s: inout AppState, to index: Int) {
    guard s.conversations.indices.contains(index) else { return }
    s.focused = index
    s.status = nil
    // A conversation held with another model says so once, before it is continued.
    let c = s.current
    if let other = c.model, other != s.model.fileName, !c.entries.isEmpty {
        let notice = "this conversation was held with \(other); replies now come from \(s.model.fileName), which reads the transcript afresh"
        if c.entries.last?.text != notice { appendNotice(&s, index, notice) }
    }
}

/// `/list`: one line per conversation — number, turns, tokens, the model when it is not
/// this one, and the title cut to fit.
func conversationList(_ s: AppState) -> String {
    let width = max(20, Layout(state: s).transcript.width - TranscriptView.markWidth)
    return s.conversations.enumerated().map { i, c in
        var head = "\(i == s.focused ? "▸" : " ") \(c.number) · \(plural(c.turns, "turn")) · \(plural(c.contextTokens, "token"))"
        if let model = c.model, model != s.model.fileName { head += " · \(model)" }
        guard let title = c.displayTitle else { return head + " · (empty)" }
        return head + " · " + cut(title, toWidth: width - displayWidth(head) - 3)
    }.joined(separator: "\n")
}

/// `text` cut to `width` columns, ending in "…" when it was cut.
func cut(_ text: String, toWidth width: Int) -> String {
    guard displayWidth(text) > width else { return text }
    var out = ""
    var used = 0
    for c in text {
        let w = displayWidth(c)
        if used + w > max(0, width - 1) { break }
        out.append(c)
        used += w
    }
    return out + "…"
}

/// Adds a notice to a conversation: at the end, or just before its reply while one streams
/// (so the reply stays last and keeps receiving its text).
private func appendNotice(_ s: inout AppState, _ conversation: Int, _ text: String, kind: TranscriptEntry.Kind = .notice) {
    guard s.conversations.indices.contains(conversation) else { return }
    keepingScrollPosition(&s, conversation) { c in
        let entry = TranscriptEntry(kind, text)
        if let reply = c.streamingReply { c.entries.insert(entry, at: reply) } else { c.entries.append(entry) }
    }
}

/// Applies `change` to a conversation; if its reader is scrolled up, moves the offset by the
/// lines added so the text they are reading stays where it is.
private func keepingScrollPosition(_ s: inout AppState, _ i: Int, _ change: (inout Conversation) -> Void) {
    let width = Layout(state: s).transcript.width
    let before = s.conversations[i].scrollOffset > 0 ? TranscriptView.lines(s.conversations[i], width: width).count : 0
    change(&s.conversations[i])
    if s.conversations[i].scrollOffset > 0 {
        let after = TranscriptView.lines(s.conversations[i], width: width).count
        s.conversations[i].scrollOffset += after - before
    }
}

// MARK: - Sending and commands

private func submit(_ s: inout AppState) -> [Effect] {
    let text = s.input.text
    if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [] }
    if text.hasPrefix("/") {
        _ = s.input.submit()
        return runCommand(&s, text)
    }
    _ = s.input.submit()
    s.current.entries.append(TranscriptEntry(.user, text))
    s.current.model = s.model.fileName
    s.current.scrollOffset = 0
    // While a reply streams, the message is kept (and saved) and waits its turn.
    if s.isGenerating || s.waitingForReply.contains(s.current.number) {
        if !s.waitingForReply.contains(s.current.number) { s.waitingForReply.append(s.current.number) }
        s.status = "sent: the reply starts when the one streaming now ends"
        return []
    }
    return startGeneration(&s, s.focused)
}

private func startGeneration(_ s: inout AppState) -> [Effect] { startGeneration(&s, s.focused) }

/// Starts the reply of conversation `i` to its messages so far.
private func startGeneration(_ s: inout AppState, _ i: Int) -> [Effect] {
    let id = s.nextGenerationID
    s.nextGenerationID += 1
    let messages = s.conversations[i].messages
    s.conversations[i].entries.append(TranscriptEntry(.assistant, "", streaming: true))
    s.generation = ActiveGeneration(id: id, conversation: i)
    s.status = nil
    return [.generate(id: id, conversation: i, sequence: s.conversations[i].sequence, messages: messages, settings: s.settings)]
}

/// The next waiting conversation's reply, once none streams.
private func startWaitingReply(_ s: inout AppState) -> [Effect] {
    while !s.isGenerating, !s.waitingForReply.isEmpty {
        let number = s.waitingForReply.removeFirst()
        if let i = s.conversations.firstIndex(where: { $0.number == number }),
           s.conversations[i].entries.last(where: { $0.kind == .user || $0.kind == .assistant })?.kind == .user {
            return startGeneration(&s, i)
        }
    }
    return []
}

private func runCommand(_ s: inout AppState, _ line: String) -> [Effect] {
    let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
    let name = parts[0]
    let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
    let busy = s.generation.map { $0.conversation == s.focused } ?? false
    switch name {
    case "/help":
        appendNotice(&s, s.focused, SlashCommands.all.map { "\($0.usage.padding(toLength: 18, withPad: " ", startingAt: 0)) \($0.help)" }.joined(separator: "\n"))
    case "/new":
        s.conversations.append(Conversation(number: s.nextConversationNumber, systemPrompt: s.defaultSystemPrompt, model: s.model.fileName))
        s.nextConversationNumber += 1
        s.focused = s.conversations.count - 1
    case "/list":
        appendNotice(&s, s.focused, conversationList(s))
    case "/switch":
        guard let n = Int(argument) else {
            appendNotice(&s, s.focused, "/switch needs a conversation number (see /list)", kind: .error)
            return []
        }
        guard let index = s.conversations.firstIndex(where: { $0.number == n }) else {
            appendNotice(&s, s.focused, "there is no conversation \(n) (/list shows them)", kind: .error)
            return []
        }
        switchConversation(&s, to: index)
        s.status = "conversation \(n): \(plural(s.current.turns, "turn"))"
    case "/fork":
        if busy { appendNotice(&s, s.focused, "wait for the reply to finish before forking", kind: .error); return [] }
        var copy = Conversation(number: s.nextConversationNumber, systemPrompt: s.current.systemPrompt, model: s.model.fileName)
        copy.entries = s.current.entries.filter { $0.kind == .user || $0.kind == .assistant }
        copy.contextTokens = s.current.contextTokens
        s.nextConversationNumber += 1
        let source = s.current.sequence
        let from = s.current.number
        s.conversations.append(copy)
        s.focused = s.conversations.count - 1
        appendNotice(&s, s.focused, "forked from conversation \(from)" + (source == nil ? "" : ": its KV blocks are shared until they differ"))
        if let source { return [.fork(source: source, conversation: s.focused)] }
    case "/clear":
        if busy { appendNotice(&s, s.focused, "wait for the reply to finish, or press Esc", kind: .error); return [] }
        let sequence = s.current.sequence
        s.current.entries = []
        s.current.sequence = nil
        s.current.scrollOffset = 0
        s.current.contextTokens = 0
        s.current.lastStats = nil
        appendNotice(&s, s.focused, "cleared: the history is gone" + (sequence == nil ? "" : " and its KV blocks are freed"))
        if let sequence { return [.release(sequence)] }
    case "/delete":
        guard let n = Int(argument) else {
            appendNotice(&s, s.focused, "/delete needs the conversation's number (this one is \(s.current.number); /list shows them)", kind: .error)
            return []
        }
        guard let index = s.conversations.firstIndex(where: { $0.number == n }) else {
            appendNotice(&s, s.focused, "there is no conversation \(n) (/list shows them)", kind: .error)
            return []
        }
        // Conversations are addressed by position while a reply is on its way: none moves then.
        if s.isGenerating || !s.waitingForReply.isEmpty {
            appendNotice(&s, s.focused, "wait for the reply to finish (or press Esc), then delete", kind: .error)
            return []
        }
        let gone = s.conversations.remove(at: index)
        if s.conversations.isEmpty {
            s.conversations.append(Conversation(number: s.nextConversationNumber, systemPrompt: s.defaultSystemPrompt, model: s.model.fileName))
            s.nextConversationNumber += 1
        }
        if s.focused > index || s.focused >= s.conversations.count { s.focused = max(0, s.focused - 1) }
        s.status = "deleted conversation \(n)" + (gone.displayTitle.map { ": " + cut($0, toWidth: 40) } ?? "")
        return [.delete(gone)]
    case "/rename":
        s.current.title = argument.isEmpty ? nil : firstLine(argument)
        s.status = argument.isEmpty ? "title: the first line again" : "renamed: \(s.current.title ?? "")"
    case "/export":
        guard !argument.isEmpty, let format = ConversationExport.format(of: argument) else {
            appendNotice(&s, s.focused, "usage: /export FILE.md or /export FILE.json", kind: .error)
            return []
        }
        return [.export(path: argument, text: ConversationExport.render(s.current, as: format))]
    case "/system":
        guard !argument.isEmpty else {
            appendNotice(&s, s.focused, "system prompt: \(s.current.systemPrompt ?? "(none)")")
            return []
        }
        if argument.contains(" ") {
            s.current.systemPrompt = argument
            appendNotice(&s, s.focused, "system prompt set")
        } else {
            return [.loadSystemPrompt(name: argument, conversation: s.focused)]
        }
    case "/set":
        let kv = argument.split(separator: " ").map(String.init)
        guard kv.count == 2 else {
            appendNotice(&s, s.focused, "usage: /set KEY VALUE with KEY one of \(SlashCommands.settingKeys.joined(separator: ", "))", kind: .error)
            return []
        }
        if let problem = SlashCommands.set(kv[0], kv[1], in: &s.settings) {
            appendNotice(&s, s.focused, problem, kind: .error)
        } else {
            appendNotice(&s, s.focused, "\(kv[0]) = \(kv[1])")
        }
    case "/show":
        let p = s.settings.sampling
        let types = s.model.weightTypes.map { "\($0.type) \(String(format: "%.1f", $0.mebibytes)) MiB" }.joined(separator: ", ")
        appendNotice(&s, s.focused, """
        model \(s.model.name) (\(s.model.architecture)), \(types), context \(s.model.contextLength)
        temp \(p.temperature), top_k \(p.topK), top_p \(p.topP), min_p \(p.minP), repeat_penalty \(p.repeatPenalty), seed \(p.seed), n_predict \(s.settings.maxTokens)
        system prompt: \(s.current.systemPrompt.map { "\"\($0.prefix(200))\($0.count > 200 ? "…" : "")\"" } ?? "none (the model's template uses its own default)")
        """)
    case "/continue":
        if busy { appendNotice(&s, s.focused, "a reply is streaming already", kind: .error); return [] }
        if s.isGenerating { appendNotice(&s, s.focused, "wait for the other conversation's reply", kind: .error); return [] }
        guard let last = s.current.entries.lastIndex(where: { $0.kind != .notice && $0.kind != .error }),
              s.current.entries[last].kind == .assistant else {
            appendNotice(&s, s.focused, "there is no reply to continue", kind: .error)
            return []
        }
        // The messages end with the reply itself: the runtime continues it (see `Effect.generate`).
        let messages = s.current.messages
        s.current.entries[last].streaming = true
        s.current.entries[last].cutAtLimit = false
        s.current.entries[last].stopped = false
        let id = s.nextGenerationID
        s.nextGenerationID += 1
        s.generation = ActiveGeneration(id: id, conversation: s.focused)
        return [.generate(id: id, conversation: s.focused, sequence: s.current.sequence, messages: messages, settings: s.settings)]
    case "/regen":
        if busy { appendNotice(&s, s.focused, "a reply is streaming: press Esc first", kind: .error); return [] }
        guard let last = s.current.entries.lastIndex(where: { $0.kind != .notice && $0.kind != .error }),
              s.current.entries[last].kind == .assistant else {
            appendNotice(&s, s.focused, "there is no reply to generate again", kind: .error)
            return []
        }
        s.current.entries.removeSubrange(last...)
        s.current.scrollOffset = 0
        return startGeneration(&s)
    case "/quit", "/exit":
        s.shouldQuit = true
        return [.quit] + (s.generation.map { [.cancel(id: $0.id)] } ?? [])
    default:
        appendNotice(&s, s.focused, "unknown command \(name): /help lists the commands", kind: .error)
    }
    return []
}

// MARK: - Generation events

private func handleGeneration(_ s: inout AppState, _ id: Int, _ event: GenerationEvent) -> [Effect] {
    // Events of a generation that is no longer current (stopped, replaced) are dropped.
    guard var g = s.generation, g.id == id, s.conversations.indices.contains(g.conversation) else { return [] }
    let i = g.conversation
    switch event {
    case .prompt:
        break  // the runtime says what it means (trimmed turns, a template fallback)
    case .promptProgress(let done, let total):
        g.promptDone = done
        g.promptTotal = total
        s.generation = g
    case .decoded(let tokens, let seconds):
        g.tokensOut = tokens
        g.decodeSeconds = seconds
        s.generation = g
    case .preempted(let sequence, let freed):
        // Said in both conversations; the preempted one is recomputed from its transcript
        // when it next generates (its sequence is kept, empty).
        if let victim = s.conversations.firstIndex(where: { $0.sequence == sequence }) {
            appendNotice(&s, victim, "KV cache full: this conversation's blocks were freed for conversation \(s.conversations[i].number); "
                         + "it is recomputed from the transcript when you continue it")
            appendNotice(&s, i, "KV cache full: conversation \(s.conversations[victim].number) was preempted (\(freed) blocks freed) to make room")
        }
    case .text(let text):
        keepingScrollPosition(&s, i) { c in
            if let reply = c.streamingReply { c.entries[reply].text += text }
        }
    case .finished(let reason, let stats):
        keepingScrollPosition(&s, i) { c in
            if let reply = c.streamingReply {
                c.entries[reply].streaming = false
                if reason == .cancelled { c.entries[reply].stopped = true }
                if reason == .length { c.entries[reply].cutAtLimit = true }
                if case .failed = reason, c.entries[reply].text.isEmpty { c.entries.remove(at: reply) }
            }
            if case .failed(let message) = reason { c.entries.append(TranscriptEntry(.error, message)) }
            c.lastStats = stats
            // The tokens now in its KV cache, as the pane counts them: the last token sampled is
            // only fed back when the reply goes on, i.e. when it was stopped mid-way.
            let fed = reason == .cancelled ? stats.generatedTokens : max(0, stats.generatedTokens - 1)
            c.contextTokens = stats.promptTokens + fed
        }
        s.generation = nil
        return startWaitingReply(&s)
    }
    return []
}

/// "1 turn", "2 turns".
func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
