/// The conversation: each turn with a speaker mark, word-wrapped, the newest at the bottom,
/// scrolled to the conversation's position.
enum TranscriptView {
    struct Line: Equatable {
        var mark: String
        var markStyle: Style
        var body: MarkdownText.Line
    }

    static let markWidth = 6

    /// Every line of `c` at `width` columns (before scrolling). Replies are laid out as
    /// Markdown; what the user typed, notices and errors as plain text.
    static func lines(_ c: Conversation, width: Int) -> [Line] {
        var out: [Line] = []
        let textWidth = max(1, width - markWidth)
        for (i, e) in c.entries.enumerated() {
            if i > 0 && (e.kind == .user || (e.kind == .assistant && c.entries[i - 1].kind != .user)) {
                out.append(Line(mark: "", markStyle: .plain, body: []))
            }
            let (mark, markStyle, bodyStyle): (String, Style, Style) = switch e.kind {
            case .user: ("you ›", Style(foreground: .cyan, bold: true), .plain)
            case .assistant: ("ai  ›", Style(foreground: .green, bold: true), .plain)
            case .notice: ("  ·", Style(foreground: .gray), Style(foreground: .gray))
            case .error: ("  !", Style(foreground: .red, bold: true), Style(foreground: .red))
            }
            var body: [MarkdownText.Line]
            if e.kind == .assistant {
                body = MarkdownText.lines(e.streaming && e.text.isEmpty ? "…" : e.text, width: textWidth)
            } else {
                body = TextWrap.wrap(e.text, width: textWidth).map { [MarkdownText.Span(text: $0, style: bodyStyle)] }
            }
            // How a reply ended, after its last line (or on a line of its own).
            var ending: [String] = []
            if e.stopped { ending.append("[stopped]") }
            if e.cutAtLimit { ending.append("[token limit: /continue goes on]") }
            if !ending.isEmpty {
                let note = ending.joined(separator: " ")
                let last = body.last ?? []
                let used = last.reduce(0) { $0 + displayWidth($1.text) }
                if !last.isEmpty, used + 1 + displayWidth(note) <= textWidth {
                    body[body.count - 1].append(MarkdownText.Span(text: " " + note, style: .dim))
                } else if last.isEmpty, !body.isEmpty {
                    body[body.count - 1] = [MarkdownText.Span(text: note, style: .dim)]
                } else {
                    body.append([MarkdownText.Span(text: note, style: .dim)])
                }
            }
            for (j, piece) in body.enumerated() {
                out.append(Line(mark: j == 0 ? mark : "", markStyle: markStyle, body: piece))
            }
        }
        return out
    }

    /// Draws `c` into `r` and returns how many wrapped lines it has in all, for `Viewport`.
    @discardableResult
    static func draw(_ c: Conversation, in r: Layout.Rect, on screen: inout ScreenBuffer) -> Int {
        let all = lines(c, width: r.width)
        let bottomTop = max(0, all.count - r.height)
        let start = switch c.scroll {
        case .following: bottomTop
        case .fromTop(let top): min(top, bottomTop)
        }
        let end = min(all.count, start + r.height)
        let visible = all[start..<end]
        // Bottom-aligned when the transcript is shorter than the pane.
        var y = r.y + r.height - visible.count
        for line in visible {
            screen.put(line.mark, x: r.x, y: y, style: line.markStyle, maxX: r.x + r.width)
            var x = r.x + markWidth
            for span in line.body { x = screen.put(span.text, x: x, y: y, style: span.style, maxX: r.x + r.width) }
            y += 1
        }
        if end < all.count {
            let hint = " ↓ \(all.count - end) more lines (End) "
            screen.put(hint, x: r.x + max(0, r.width - displayWidth(hint)), y: r.y + r.height - 1, style: .reverse, maxX: r.x + r.width)
        }
        if c.entries.isEmpty {
            screen.put("Type a message and press Enter. /help lists the commands.", x: r.x + 2, y: r.y + r.height - 1, style: .dim, maxX: r.x + r.width)
        }
        return all.count
    }
}
