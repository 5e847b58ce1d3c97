import Foundation
import PagodaEngine

// Sending a message and the slash commands.

func submit(_ s: inout AppState) -> [Effect] {
    let text = s.input.text
    if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [] }
    if text.hasPrefix("/") {
        _ = s.input.submit()
        return runCommand(&s, text)
    }
    _ = s.input.submit()
    s.current.entries.append(TranscriptEntry(.user, text))
    s.current.model = s.model.fileName
    s.current.scroll = .following
    // While a reply streams, the message is kept (and saved) and waits its turn.
    if s.isGenerating || s.waitingForReply.contains(s.current.number) {
        if !s.waitingForReply.contains(s.current.number) { s.waitingForReply.append(s.current.number) }
        s.status = "sent: the reply starts when the one streaming now ends"
        return []
    }
    return startGeneration(&s, s.focused)
}

func startGeneration(_ s: inout AppState) -> [Effect] { startGeneration(&s, s.focused) }

/// Starts the reply of conversation `i` to its messages so far.
func startGeneration(_ s: inout AppState, _ i: Int) -> [Effect] {
    let id = s.nextGenerationID
    s.nextGenerationID += 1
    let messages = s.conversations[i].messages
    s.conversations[i].entries.append(TranscriptEntry(.assistant, "", streaming: true))
    let number = s.conversations[i].number
    s.generation = ActiveGeneration(id: id, conversation: number)
    s.status = nil
    return [.generate(id: id, conversation: number, sequence: s.conversations[i].sequence, messages: messages, settings: s.settings)]
}

/// The next waiting conversation's reply, once none streams.
func startWaitingReply(_ s: inout AppState) -> [Effect] {
    while !s.isGenerating, !s.waitingForReply.isEmpty {
        let number = s.waitingForReply.removeFirst()
        if let i = s.index(ofConversation: number),
           s.conversations[i].entries.last(where: { $0.kind == .user || $0.kind == .assistant })?.kind == .user {
            return startGeneration(&s, i)
        }
    }
    return []
}

func runCommand(_ s: inout AppState, _ line: String) -> [Effect] {
    let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
    let name = parts[0]
    let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
    let busy = s.generation.map { $0.conversation == s.current.number } ?? false
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
        if let source { return [.fork(source: source, conversation: copy.number)] }
    case "/clear":
        if busy { appendNotice(&s, s.focused, "wait for the reply to finish, or press Esc", kind: .error); return [] }
        let sequence = s.current.sequence
        s.current.entries = []
        s.current.sequence = nil
        s.current.scroll = .following
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
        // The conversation a reply streams into, or waits to, stays until it has it.
        if s.generation?.conversation == n || s.waitingForReply.contains(n) {
            appendNotice(&s, s.focused, "wait for its reply to finish (or press Esc), then delete", kind: .error)
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
            return [.loadSystemPrompt(name: argument, conversation: s.current.number)]
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
        s.generation = ActiveGeneration(id: id, conversation: s.current.number)
        return [.generate(id: id, conversation: s.current.number, sequence: s.current.sequence, messages: messages, settings: s.settings)]
    case "/regen":
        if busy { appendNotice(&s, s.focused, "a reply is streaming: press Esc first", kind: .error); return [] }
        guard let last = s.current.entries.lastIndex(where: { $0.kind != .notice && $0.kind != .error }),
              s.current.entries[last].kind == .assistant else {
            appendNotice(&s, s.focused, "there is no reply to generate again", kind: .error)
            return []
        }
        s.current.entries.removeSubrange(last...)
        s.current.scroll = .following
        return startGeneration(&s)
    case "/quit", "/exit":
        s.shouldQuit = true
        return [.quit] + (s.generation.map { [.cancel(id: $0.id)] } ?? [])
    default:
        appendNotice(&s, s.focused, "unknown command \(name): /help lists the commands", kind: .error)
    }
    return []
}

/// `/list`: one line per conversation — number, turns, tokens, the model when it is not
/// this one, and the title cut to fit.
func conversationList(_ s: AppState) -> String {
    let width = max(20, s.viewport?.textWidth ?? s.width)
    return s.conversations.enumerated().map { i, c in
        var head = "\(i == s.focused ? "▸" : " ") \(c.number) · \(plural(c.turns, "turn")) · \(plural(c.contextTokens, "token"))"
        if let model = c.model, model != s.model.fileName { head += " · \(model)" }
        guard let title = c.displayTitle else { return head + " · (empty)" }
        return head + " · " + cut(title, toWidth: width - displayWidth(head) - 3)
    }.joined(separator: "\n")
}
