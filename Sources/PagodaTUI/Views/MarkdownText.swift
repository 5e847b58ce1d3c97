import Foundation

/// A reply written in Markdown, laid out for the terminal: fenced code in a frame with its
/// language (monospace kept, long lines broken at the frame's edge, never at words),
/// headings and **bold** in bold, `inline code` in colour, list items with a bullet and a
/// hanging indent, quotes behind a bar, rules as a line. Only the screen changes: the
/// stored, exported and prompted text stays the raw Markdown.
///
/// Unfinished markup (a reply still streaming, an unpaired `**`) shows as typed until it
/// closes. Cost: one pass over the text per layout.
enum MarkdownText {
    struct Span: Equatable {
        var text: String
        var style: Style
    }
    typealias Line = [Span]

    static let codeStyle = Style(foreground: .cyan)
    static let frameStyle = Style(foreground: .gray)

    /// The lines of `text` at `width` columns, `base` being the style of plain text.
    static func lines(_ text: String, width: Int, base: Style = .plain) -> [Line] {
        let width = max(4, width)
        var out: [Line] = []
        var inCode = false
        var fence = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw).replacingOccurrences(of: "\t", with: "    ")
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if inCode {
                if trimmed.hasPrefix(fence), trimmed.allSatisfy({ $0 == fence.first }) {
                    inCode = false
                    out.append([Span(text: "└" + String(repeating: "─", count: min(width - 1, 20)), style: frameStyle)])
                    continue
                }
                out += codeLines(line, width: width)
                continue
            }
            if let marker = fenceMarker(trimmed) {
                inCode = true
                fence = marker
                let language = trimmed.dropFirst(marker.count).trimmingCharacters(in: .whitespaces)
                out.append([Span(text: "┌─ " + (language.isEmpty ? "code" : language), style: frameStyle)])
                continue
            }
            out += blockLines(line, width: width, base: base)
        }
        return out
    }

    /// "```" or "~~~" (or longer) opening a fence, nil for any other line.
    private static func fenceMarker(_ trimmed: String) -> String? {
        for mark in ["```", "~~~"] where trimmed.hasPrefix(mark) {
            return String(trimmed.prefix { $0 == mark.first })
        }
        return nil
    }

    /// A code line inside the frame: broken at the frame's width, every piece behind the bar.
    private static func codeLines(_ line: String, width: Int) -> [Line] {
        let room = width - 2
        var pieces: [String] = []
        var piece = ""
        var used = 0
        for c in line {
            let w = displayWidth(c)
            if used + w > room {
                pieces.append(piece)
                piece = ""
                used = 0
            }
            piece.append(c)
            used += w
        }
        pieces.append(piece)
        return pieces.map { [Span(text: "│ ", style: frameStyle), Span(text: $0, style: codeStyle)] }
    }

    /// One line outside code: a heading, list item, quote, rule or plain paragraph line.
    private static func blockLines(_ line: String, width: Int, base: Style) -> [Line] {
        if let match = line.wholeMatch(of: /#{1,6}\s+(.*)/) {
            var bold = base
            bold.bold = true
            return wrap(inline(String(match.1), base: bold), width: width, first: [], rest: [])
        }
        if line.wholeMatch(of: /\s*([-*_])(\s*\1){2,}\s*/) != nil {
            return [[Span(text: String(repeating: "─", count: min(width, 40)), style: frameStyle)]]
        }
        if let match = line.wholeMatch(of: /(\s*)([-*+])\s+(.*)/) {
            let indent = String(match.1)
            return wrap(inline(String(match.3), base: base), width: width,
                        first: [Span(text: indent + "• ", style: base)], rest: [Span(text: indent + "  ", style: base)])
        }
        if let match = line.wholeMatch(of: /(\s*)(\d{1,9}[.)])\s+(.*)/) {
            let head = String(match.1) + String(match.2) + " "
            return wrap(inline(String(match.3), base: base), width: width,
                        first: [Span(text: head, style: base)], rest: [Span(text: String(repeating: " ", count: displayWidth(head)), style: base)])
        }
        if let match = line.wholeMatch(of: />\s?(.*)/) {
            var quoted = base
            quoted.foreground = .gray
            let bar = [Span(text: "▌ ", style: frameStyle)]
            return wrap(inline(String(match.1), base: quoted), width: width, first: bar, rest: bar)
        }
        return wrap(inline(line, base: base), width: width, first: [], rest: [])
    }

    /// Inline markup: `code`, **bold** and __bold__. Markers without their pair stay text.
    static func inline(_ text: String, base: Style) -> [(Character, Style)] {
        let chars = Array(text)
        var out: [(Character, Style)] = []
        var i = 0
        func closing(_ marker: [Character], from start: Int) -> Int? {
            var j = start
            while j + marker.count <= chars.count {
                if Array(chars[j..<(j + marker.count)]) == marker { return j }
                j += 1
            }
            return nil
        }
        while i < chars.count {
            let c = chars[i]
            if c == "`", let end = closing(["`"], from: i + 1), end > i + 1 {
                for k in (i + 1)..<end { out.append((chars[k], codeStyle)) }
                i = end + 1
                continue
            }
            if (c == "*" || c == "_"), i + 1 < chars.count, chars[i + 1] == c,
               let end = closing([c, c], from: i + 2), end > i + 2 {
                var bold = base
                bold.bold = true
                for k in (i + 2)..<end { out.append((chars[k], bold)) }
                i = end + 2
                continue
            }
            out.append((c, base))
            i += 1
        }
        return out
    }

    /// Word-wraps styled characters after the prefix `first` (then `rest` on later lines),
    /// breaking at spaces where it can and inside a word where it must.
    static func wrap(_ text: [(Character, Style)], width: Int, first: Line, rest: Line) -> [Line] {
        func prefixWidth(_ p: Line) -> Int { p.reduce(0) { $0 + displayWidth($1.text) } }
        var lines: [[(Character, Style)]] = []
        var current: [(Character, Style)] = []
        var used = 0
        var room = max(1, width - prefixWidth(first))
        var lastSpace: Int?
        for (c, style) in text {
            let w = displayWidth(c)
            if used + w > room {
                if c == " " {
                    lines.append(current)
                    current = []
                    used = 0
                    lastSpace = nil
                    room = max(1, width - prefixWidth(rest))
                    continue
                }
                if let space = lastSpace, space > 0 {
                    lines.append(Array(current[..<space]))
                    current = Array(current[(space + 1)...])
                } else {
                    lines.append(current)
                    current = []
                }
                used = current.reduce(0) { $0 + displayWidth($1.0) }
                lastSpace = nil
                room = max(1, width - prefixWidth(rest))
            }
            if c == " " { lastSpace = current.count }
            current.append((c, style))
            used += w
        }
        lines.append(current)
        return lines.enumerated().map { index, chars in
            // Runs of one style become one span.
            var spans: Line = []
            for (c, style) in chars {
                if let last = spans.last, last.style == style { spans[spans.count - 1].text.append(c) } else { spans.append(Span(text: String(c), style: style)) }
            }
            return (index == 0 ? first : rest) + spans
        }
    }
}
