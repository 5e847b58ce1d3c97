/// An error in a template, at a line and column of its source (1-based), or raised while
/// rendering (`raise_exception`, a type error, an undefined value used as an object), or a
/// bound of `JinjaLimits` reached (`.limit`).
public struct JinjaError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable { case syntax, runtime, raised, limit }
    public let kind: Kind
    public let message: String
    public let line: Int
    public let column: Int

    /// One line, the message escaped (`UntrustedText`): it can quote the template's text.
    public var description: String {
        let text = UntrustedText.escaped(message, limit: 300)
        return kind == .raised ? text : "line \(line), column \(column): \(text)"
    }
}

/// One token of an expression inside `{{ … }}` or `{% … %}`.
struct JinjaToken: Equatable {
    enum Kind: Equatable {
        case name(String)
        case string(String)
        case int(Int)
        case double(Double)
        case op(String)
    }
    let kind: Kind
    let line: Int
    let column: Int
}

/// A template cut into text and tags, with whitespace control already applied:
/// `{%-`/`-%}` strip all whitespace on that side; `trim_blocks` drops the first newline after
/// a block or comment tag; `lstrip_blocks` drops spaces and tabs before a block or comment
/// tag that starts its line (`{%+` keeps them); the template's one trailing newline is dropped.
enum JinjaSegment: Equatable {
    case text(String)
    case output([JinjaToken], line: Int, column: Int)
    case statement([JinjaToken], line: Int, column: Int)
}

struct JinjaLexer {
    let source: [Character]
    var i = 0
    var line = 1
    var column = 1

    init(_ source: String) { self.source = Array(source) }

    static func segments(of template: String, trimBlocks: Bool = true, lstripBlocks: Bool = true) throws -> [JinjaSegment] {
        var text = template
        if text.hasSuffix("\r\n") { text.removeLast() } else if text.hasSuffix("\n") { text.removeLast() }
        var lexer = JinjaLexer(text)
        return try lexer.run(trimBlocks: trimBlocks, lstripBlocks: lstripBlocks)
    }

    private func peek(_ offset: Int = 0) -> Character? { i + offset < source.count ? source[i + offset] : nil }

    private mutating func advance(_ n: Int = 1) {
        for _ in 0..<n where i < source.count {
            if source[i] == "\n" { line += 1; column = 1 } else { column += 1 }
            i += 1
        }
    }

    private func error(_ message: String, _ l: Int? = nil, _ c: Int? = nil) -> JinjaError {
        JinjaError(kind: .syntax, message: message, line: l ?? line, column: c ?? column)
    }

    mutating func run(trimBlocks: Bool, lstripBlocks: Bool) throws -> [JinjaSegment] {
        var segments: [JinjaSegment] = []
        var text = ""
        var textStart = 0
        var stripNextText = false   // after a "-" closer
        var trimNextNewline = false // trim_blocks after a block/comment tag

        func flushText(beforeTag kind: Character, modifier: Character?) {
            var t = text
            var startsLine = textStart == 0 || source[textStart - 1] == "\n"
            if stripNextText { t = String(t.drop { $0.isWhitespace }); stripNextText = false }
            if trimNextNewline {
                if t.hasPrefix("\n") || t.hasPrefix("\r\n") { t.removeFirst(); startsLine = true }
                trimNextNewline = false
            }
            if modifier == "-" {
                while let last = t.last, last.isWhitespace { t.removeLast() }
            } else if lstripBlocks, kind != "{", modifier != "+" {
                // Strip spaces/tabs back to the line start if nothing else stands there.
                let lineStart = t.lastIndex(of: "\n").map { t.index(after: $0) }
                if lineStart != nil { startsLine = true }
                let tail = t[(lineStart ?? t.startIndex)...]
                if startsLine, tail.allSatisfy({ $0 == " " || $0 == "\t" }) {
                    t.removeSubrange((lineStart ?? t.startIndex)...)
                }
            }
            if !t.isEmpty { segments.append(.text(t)) }
            text = ""
        }

        while i < source.count {
            let c = source[i]
            guard c == "{", let next = peek(1), next == "{" || next == "%" || next == "#" else {
                text.append(c)
                advance()
                continue
            }
            let tagLine = line, tagColumn = column
            var modifier: Character? = nil
            if let m = peek(2), m == "-" || m == "+" { modifier = m }
            flushText(beforeTag: next, modifier: modifier)
            advance(modifier == nil ? 2 : 3)
            if next == "#" {
                // Comment: up to "#}".
                var closedWithStrip = false
                while true {
                    guard i < source.count else { throw error("unclosed comment", tagLine, tagColumn) }
                    if source[i] == "-", peek(1) == "#", peek(2) == "}" { closedWithStrip = true; advance(3); break }
                    if source[i] == "#", peek(1) == "}" { advance(2); break }
                    advance()
                }
                stripNextText = closedWithStrip
                trimNextNewline = trimBlocks && !closedWithStrip
            } else {
                let closer: Character = next == "{" ? "}" : "%"
                var tokens: [JinjaToken] = []
                var closedWithStrip = false
                while true {
                    while let p = peek(), p.isWhitespace { advance() }
                    guard let p = peek() else { throw error("unclosed tag", tagLine, tagColumn) }
                    if (p == "-" || p == "+"), peek(1) == closer, peek(2) == "}" { closedWithStrip = p == "-"; advance(3); break }
                    if p == closer, peek(1) == "}" { advance(2); break }
                    tokens.append(try token())
                }
                if next == "{" {
                    segments.append(.output(tokens, line: tagLine, column: tagColumn))
                    stripNextText = closedWithStrip
                } else {
                    if case .name("raw")? = tokens.first?.kind {
                        segments.append(.text(try rawBody()))
                        continue
                    }
                    segments.append(.statement(tokens, line: tagLine, column: tagColumn))
                    stripNextText = closedWithStrip
                    trimNextNewline = trimBlocks && !closedWithStrip
                }
            }
            textStart = i
        }
        flushText(beforeTag: "{", modifier: nil)
        return segments
    }

    /// After `{% raw %}`: the text up to `{% endraw %}`, verbatim.
    private mutating func rawBody() throws -> String {
        var body = ""
        let startLine = line
        while i < source.count {
            if source[i] == "{", peek(1) == "%" {
                var j = i + 2
                if j < source.count, source[j] == "-" { j += 1 }
                while j < source.count, source[j] == " " { j += 1 }
                if String(source[j..<min(source.count, j + 6)]) == "endraw" {
                    while i < source.count, !(source[i] == "%" && peek(1) == "}") { advance() }
                    advance(2)
                    return body
                }
            }
            body.append(source[i])
            advance()
        }
        throw error("unclosed raw block", startLine, 1)
    }

    private mutating func token() throws -> JinjaToken {
        let l = line, c = column
        let ch = peek()!
        if ch.isLetter || ch == "_" {
            var name = ""
            while let p = peek(), p.isLetter || p.isNumber || p == "_" { name.append(p); advance() }
            return JinjaToken(kind: .name(name), line: l, column: c)
        }
        if ch.isNumber {
            var digits = ""
            var isDouble = false
            while let p = peek(), p.isNumber || p == "_" || (p == "." && !isDouble && peek(1)?.isNumber == true) || ((p == "e" || p == "E") && digits.last?.isNumber == true) {
                if p == "." || p == "e" || p == "E" { isDouble = true }
                if p != "_" { digits.append(p) }
                advance()
                if (p == "e" || p == "E"), let sign = peek(), sign == "-" || sign == "+" { digits.append(sign); advance() }
            }
            if !isDouble, let v = Int(digits) { return JinjaToken(kind: .int(v), line: l, column: c) }
            guard let d = Double(digits) else { throw error("bad number \(digits)", l, c) }
            return JinjaToken(kind: .double(d), line: l, column: c)
        }
        if ch == "'" || ch == "\"" {
            advance()
            var s = ""
            while true {
                guard let p = peek() else { throw error("unclosed string", l, c) }
                advance()
                if p == ch { break }
                if p == "\\", let e = peek() {
                    advance()
                    switch e {
                    case "n": s.append("\n")
                    case "t": s.append("\t")
                    case "r": s.append("\r")
                    case "\\": s.append("\\")
                    case "'": s.append("'")
                    case "\"": s.append("\"")
                    case "0": s.append("\0")
                    case "u", "x":
                        let count = e == "u" ? 4 : 2
                        var hex = ""
                        for _ in 0..<count { if let h = peek() { hex.append(h); advance() } }
                        if let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) { s.unicodeScalars.append(scalar) }
                    default: s.append("\\"); s.append(e)
                    }
                } else {
                    s.append(p)
                }
            }
            return JinjaToken(kind: .string(s), line: l, column: c)
        }
        for op in ["**", "//", "==", "!=", "<=", ">="] where peek() == op.first && peek(1) == op.last {
            advance(2)
            return JinjaToken(kind: .op(op), line: l, column: c)
        }
        if "+-*/%~|.,:()[]{}<>=!".contains(ch) {
            advance()
            return JinjaToken(kind: .op(String(ch)), line: l, column: c)
        }
        throw error("unexpected character \(String(ch).debugDescription)", l, c)
    }
}
