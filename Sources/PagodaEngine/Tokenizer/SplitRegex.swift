/// A small backtracking regular-expression engine over Unicode code points, for the
/// pre-tokenizer patterns models declare (the subset they use: alternation, `(?:…)`,
/// `(?!…)`/`(?=…)`, classes with ranges and `\p{L}` `\p{N}` `\p{P}` `\p{M}` `\p{S}` `\s`,
/// quantifiers `? * + {n} {n,} {n,m}`, `^`, `$`). Matching is leftmost-first with greedy
/// quantifiers, as ECMAScript and PCRE do; `$` and lookaheads see the end of the fragment
/// being split. Categories follow `CodepointClass`.
public struct SplitRegex: Sendable {
    indirect enum Node: Sendable {
        case atom(CharacterSet)
        case sequence([Node])
        case alternation([Node])
        case repetition(Node, min: Int, max: Int?)
        case lookahead(Node, negative: Bool)
        case start, end
    }

    struct CharacterSet: Sendable {
        var ranges: [ClosedRange<UInt32>] = []
        var classes: CodepointClass = []
        var negatedClasses: CodepointClass = []  // from \S, \P{…}
        var negated = false

        func matches(_ cp: UInt32) -> Bool {
            var hit = false
            for r in ranges where r.contains(cp) { hit = true; break }
            if !hit && !classes.isEmpty {
                hit = !CodepointClass.of(cp).isDisjoint(with: classes)
            }
            if !hit && !negatedClasses.isEmpty {
                hit = CodepointClass.of(cp).isDisjoint(with: negatedClasses)
            }
            return hit != negated
        }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let pattern: String
        public let message: String
        public var description: String { "bad pre-tokenizer pattern \(pattern.debugDescription): \(message)" }
    }

    let root: Node
    public let pattern: String
    /// The code points a non-empty match can begin with, as the union of these sets: a
    /// position no set matches is skipped without running the matcher.
    private let firstSets: [CharacterSet]

    public init(_ pattern: String) throws {
        self.pattern = pattern
        var parser = Parser(scalars: Array(pattern.unicodeScalars.map(\.value)), pattern: pattern)
        root = try parser.parseAlternation()
        guard parser.index == parser.scalars.count else { throw ParseError(pattern: pattern, message: "unbalanced ')'") }
        firstSets = Self.first(root).sets
    }

    /// The sets a non-empty match of `node` can begin with, and whether it can match empty
    /// (then what follows it can begin the match too). Zero-width items (anchors,
    /// lookaheads) consume nothing, so the first consumed code point comes after them.
    private static func first(_ node: Node) -> (sets: [CharacterSet], canBeEmpty: Bool) {
        switch node {
        case .atom(let set): return ([set], false)
        case .sequence(let items):
            var sets: [CharacterSet] = []
            for item in items {
                let (s, empty) = first(item)
                sets += s
                if !empty { return (sets, false) }
            }
            return (sets, true)
        case .alternation(let options):
            let parts = options.map(first)
            return (parts.flatMap(\.sets), parts.contains { $0.canBeEmpty })
        case .repetition(let inner, let min, _):
            let (s, empty) = first(inner)
            return (s, min == 0 || empty)
        case .lookahead, .start, .end:
            return ([], true)
        }
    }

    // MARK: - Splitting

    /// Splits `text[range]` into pieces: every match and every stretch between matches,
    /// in order (llama.cpp's `unicode_regex_split`). Returns piece lengths.
    public func split(_ text: [UInt32], _ range: Range<Int>, into pieces: inout [Int]) {
        var position = range.lowerBound
        var pending = range.lowerBound
        while position < range.upperBound {
            if !firstSets.contains(where: { $0.matches(text[position]) }) {
                position += 1
                continue
            }
            if let end = match(root, text, position, range, { $0 }), end > position {
                if position > pending { pieces.append(position - pending) }
                pieces.append(end - position)
                position = end
                pending = end
            } else {
                position += 1
            }
        }
        if range.upperBound > pending { pieces.append(range.upperBound - pending) }
    }

    /// Tries `node` at `i`; on success calls `next` with the end and returns its result.
    private func match(_ node: Node, _ s: [UInt32], _ i: Int, _ r: Range<Int>, _ next: (Int) -> Int?) -> Int? {
        switch node {
        case .atom(let set):
            guard i < r.upperBound, set.matches(s[i]) else { return nil }
            return next(i + 1)
        case .sequence(let items):
            return matchSequence(items[...], s, i, r, next)
        case .alternation(let options):
            for option in options {
                if let end = match(option, s, i, r, next) { return end }
            }
            return nil
        case .repetition(let inner, let min, let max):
            if case .atom(let set) = inner {
                // One code point per step: count greedily, then give back one at a time.
                var count = 0
                while i + count < r.upperBound, max.map({ count < $0 }) ?? true, set.matches(s[i + count]) { count += 1 }
                guard count >= min else { return nil }
                for n in stride(from: count, through: min, by: -1) {
                    if let end = next(i + n) { return end }
                }
                return nil
            }
            return matchRepetition(inner, min: min, max: max, count: 0, s, i, r, next)
        case .lookahead(let inner, let negative):
            let found = match(inner, s, i, r, { $0 }) != nil
            return found != negative ? next(i) : nil
        case .start:
            return i == r.lowerBound ? next(i) : nil
        case .end:
            return i == r.upperBound ? next(i) : nil
        }
    }

    private func matchSequence(_ items: ArraySlice<Node>, _ s: [UInt32], _ i: Int, _ r: Range<Int>, _ next: (Int) -> Int?) -> Int? {
        guard let first = items.first else { return next(i) }
        return match(first, s, i, r) { j in self.matchSequence(items.dropFirst(), s, j, r, next) }
    }

    private func matchRepetition(_ inner: Node, min: Int, max: Int?, count: Int, _ s: [UInt32], _ i: Int, _ r: Range<Int>, _ next: (Int) -> Int?) -> Int? {
        if max.map({ count < $0 }) ?? true {
            let more = match(inner, s, i, r) { j in
                j == i ? nil : self.matchRepetition(inner, min: min, max: max, count: count + 1, s, j, r, next)
            }
            if let more { return more }
        }
        return count >= min ? next(i) : nil
    }

    // MARK: - Parsing

    private struct Parser {
        let scalars: [UInt32]
        let pattern: String
        var index = 0

        func error(_ message: String) -> ParseError { ParseError(pattern: pattern, message: "\(message) at \(index)") }

        var peek: UInt32? { index < scalars.count ? scalars[index] : nil }

        mutating func eat(_ c: Character) -> Bool {
            guard peek == c.unicodeScalars.first!.value else { return false }
            index += 1
            return true
        }

        mutating func parseAlternation() throws -> Node {
            var options = [try parseSequence()]
            while eat("|") { options.append(try parseSequence()) }
            return options.count == 1 ? options[0] : .alternation(options)
        }

        mutating func parseSequence() throws -> Node {
            var items: [Node] = []
            while let c = peek, c != 0x7C /* | */, c != 0x29 /* ) */ {
                var atom = try parseAtom()
                atom = try parseQuantifier(atom)
                items.append(atom)
            }
            return items.count == 1 ? items[0] : .sequence(items)
        }

        mutating func parseQuantifier(_ atom: Node) throws -> Node {
            guard let c = peek else { return atom }
            switch c {
            case 0x3F: index += 1; return .repetition(atom, min: 0, max: 1)      // ?
            case 0x2A: index += 1; return .repetition(atom, min: 0, max: nil)    // *
            case 0x2B: index += 1; return .repetition(atom, min: 1, max: nil)    // +
            case 0x7B:                                                            // {n,m}
                index += 1
                let low = parseNumber() ?? 0
                var high: Int? = low
                if eat(",") { high = parseNumber() }
                guard eat("}") else { throw error("unclosed {") }
                return .repetition(atom, min: low, max: high)
            default: return atom
            }
        }

        mutating func parseNumber() -> Int? {
            var value: Int?
            while let c = peek, (0x30...0x39).contains(c) {
                value = (value ?? 0) * 10 + Int(c - 0x30)
                index += 1
            }
            return value
        }

        mutating func parseAtom() throws -> Node {
            guard let c = peek else { throw error("unexpected end") }
            index += 1
            switch c {
            case 0x28:  // (
                var negative: Bool?
                if eat("?") {
                    if eat(":") {
                    } else if eat("!") { negative = true
                    } else if eat("=") { negative = false
                    } else { throw error("unsupported group") }
                }
                let inner = try parseAlternation()
                guard eat(")") else { throw error("unclosed (") }
                return negative.map { .lookahead(inner, negative: $0) } ?? inner
            case 0x5B: return .atom(try parseClass())  // [
            case 0x2E:  // .
                var any = CharacterSet()
                any.ranges = [0x0A...0x0A]
                any.negated = true
                return .atom(any)
            case 0x5E: return .start
            case 0x24: return .end
            case 0x5C: return .atom(try parseEscape(inClass: false))
            default:
                var set = CharacterSet()
                set.ranges = [c...c]
                return .atom(set)
            }
        }

        /// After a backslash.
        mutating func parseEscape(inClass: Bool) throws -> CharacterSet {
            guard let c = peek else { throw error("dangling \\") }
            index += 1
            var set = CharacterSet()
            switch c {
            case 0x73: set.classes = .whitespace                   // \s
            case 0x53: set.negatedClasses = .whitespace            // \S
            case 0x64: set.ranges = [0x30...0x39]                  // \d
            case 0x72: set.ranges = [0x0D...0x0D]                  // \r
            case 0x6E: set.ranges = [0x0A...0x0A]                  // \n
            case 0x74: set.ranges = [0x09...0x09]                  // \t
            case 0x70, 0x50:                                       // \p{…} \P{…}
                guard eat("{") else { throw error("expected { after \\p") }
                var name = ""
                while let d = peek, d != 0x7D { name.unicodeScalars.append(Unicode.Scalar(d)!); index += 1 }
                guard eat("}") else { throw error("unclosed \\p{") }
                let classes: CodepointClass
                switch name {
                case "L", "Lu", "Ll", "Lt", "Lm", "Lo": classes = .letter   // llama.cpp treats subclasses as L
                case "N": classes = .number
                case "P": classes = .punctuation
                case "M": classes = .mark
                case "S": classes = .symbol
                default: throw error("unsupported property \\p{\(name)}")
                }
                if c == 0x70 { set.classes = classes } else { set.negatedClasses = classes }
            default: set.ranges = [c...c]                          // \\ \[ \- \$ …
            }
            return set
        }

        mutating func parseClass() throws -> CharacterSet {
            var set = CharacterSet()
            if eat("^") { set.negated = true }
            var first = true
            while let c = peek, c != 0x5D || first {
                first = false
                var low: UInt32
                if c == 0x5C {
                    index += 1
                    let escaped = try parseEscape(inClass: true)
                    if escaped.ranges.count == 1, escaped.classes.isEmpty, escaped.negatedClasses.isEmpty, escaped.ranges[0].count == 1 {
                        low = escaped.ranges[0].lowerBound
                    } else {
                        set.ranges += escaped.ranges
                        set.classes.formUnion(escaped.classes)
                        set.negatedClasses.formUnion(escaped.negatedClasses)
                        continue
                    }
                } else {
                    low = c
                    index += 1
                }
                if peek == 0x2D, index + 1 < scalars.count, scalars[index + 1] != 0x5D {  // a-b
                    index += 1
                    var high = scalars[index]
                    index += 1
                    if high == 0x5C, let escaped = peek { high = escaped; index += 1 }
                    guard high >= low else { throw error("reversed range") }
                    set.ranges.append(low...high)
                } else {
                    set.ranges.append(low...low)
                }
            }
            guard eat("]") else { throw error("unclosed [") }
            return set
        }
    }
}
