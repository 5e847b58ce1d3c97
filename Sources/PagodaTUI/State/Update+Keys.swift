import Foundation
import PagodaEngine

// Keys: editing, scrolling, switching conversations, Esc and Ctrl-C.

func handleKey(_ s: inout AppState, _ key: Key) -> [Effect] {
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
    case .control("t"), .function(2): s.statsVisible = !(s.viewport?.statsShown ?? false)
    case .pageUp: scroll(&s, by: pageLines(s))
    case .pageDown: scroll(&s, by: -pageLines(s))
    case .wheelUp: scroll(&s, by: 3)
    case .wheelDown: scroll(&s, by: -3)
    case .home:
        if s.input.isEmpty { scroll(&s, by: s.viewport?.transcriptLines ?? 0) } else { s.input.moveToStart() }
    case .end:
        if s.input.isEmpty { s.current.scroll = .following } else { s.input.moveToEnd() }
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

/// Moves the focused transcript `lines` back towards its start (forward when negative),
/// counted on the screen last drawn; reaching the end follows the bottom again. Before that
/// conversation has been drawn there is nothing to count on, and the key does nothing.
func scroll(_ s: inout AppState, by lines: Int) {
    guard let v = s.viewport, v.conversation == s.current.number else { return }
    let top: Int
    switch s.current.scroll {
    case .following: top = v.bottomTop
    case .fromTop(let held): top = min(held, v.bottomTop)
    }
    let moved = min(max(0, top - lines), v.bottomTop)
    s.current.scroll = moved >= v.bottomTop ? .following : .fromTop(moved)
}

/// PgUp/PgDn's step: a pane's height less one line, kept on screen for context.
func pageLines(_ s: AppState) -> Int { max(1, (s.viewport?.transcriptHeight ?? 2) - 1) }

func switchConversation(_ s: inout AppState, to index: Int) {
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
