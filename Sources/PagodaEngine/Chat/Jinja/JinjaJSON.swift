import Foundation

/// JSON to and from template values: parsing keeps object key order (as Python's
/// `json.loads` does); writing follows Python's `json.dumps(ensure_ascii=False)` with its
/// default separators `", "` and `": "`, or `","` and newlines when indenting.
enum JinjaJSON {
    struct ParseError: Error, CustomStringConvertible {
        let message: String
        var description: String { "invalid JSON: \(message)" }
    }

    /// Parses `text`; arrays and objects may nest `maxDepth` deep (template values must stay
    /// within `JinjaLimits.maxValueDepth`).
    static func parse(_ text: String, maxDepth: Int = JinjaLimits.default.maxValueDepth) throws -> JinjaValue {
        var p = Parser(scalars: Array(text.unicodeScalars), maxDepth: maxDepth)
        p.skipSpace()
        let value = try p.value()
        p.skipSpace()
        guard p.i == p.scalars.count else { throw ParseError(message: "trailing text at \(p.i)") }
        return value
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        let maxDepth: Int
        var i = 0
        var depth = 0

        mutating func skipSpace() {
            while i < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[i]) { i += 1 }
        }

        mutating func expect(_ s: String) throws {
            for c in s.unicodeScalars {
                guard i < scalars.count, scalars[i] == c else { throw ParseError(message: "expected \(s) at \(i)") }
                i += 1
            }
        }

        mutating func value() throws -> JinjaValue {
            guard i < scalars.count else { throw ParseError(message: "unexpected end") }
            let container = scalars[i] == "{" || scalars[i] == "["
            if container {
                guard depth < maxDepth else { throw ParseError(message: "arrays and objects nest deeper than \(maxDepth) levels at \(i)") }
                depth += 1
            }
            defer { if container { depth -= 1 } }
            switch scalars[i] {
            case "{":
                i += 1
                var dict = JinjaDict()
                skipSpace()
                if i < scalars.count, scalars[i] == "}" { i += 1; return .dict(dict) }
                while true {
                    skipSpace()
                    guard case .string(let key) = try value() else { throw ParseError(message: "object key must be a string") }
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    dict[key] = try value()
                    skipSpace()
                    if i < scalars.count, scalars[i] == "," { i += 1; continue }
                    try expect("}")
                    return .dict(dict)
                }
            case "[":
                i += 1
                var items: [JinjaValue] = []
                skipSpace()
                if i < scalars.count, scalars[i] == "]" { i += 1; return .list(items) }
                while true {
                    skipSpace()
                    items.append(try value())
                    skipSpace()
                    if i < scalars.count, scalars[i] == "," { i += 1; continue }
                    try expect("]")
                    return .list(items)
                }
            case "\"":
                i += 1
                var out = String.UnicodeScalarView()
                while true {
                    guard i < scalars.count else { throw ParseError(message: "unterminated string") }
                    let c = scalars[i]
                    i += 1
                    if c == "\"" { return .string(String(out)) }
                    if c != "\\" { out.append(c); continue }
                    guard i < scalars.count else { throw ParseError(message: "bad escape") }
                    let e = scalars[i]
                    i += 1
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "b": out.append("\u{8}")
                    case "f": out.append("\u{C}")
                    case "u":
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code), i + 1 < scalars.count, scalars[i] == "\\", scalars[i + 1] == "u" {
                            i += 2
                            let low = try hex4()
                            // A high surrogate needs a low one; anything else stands for U+FFFD.
                            code = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                        }
                        out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    default: out.append(e)
                    }
                }
            case "t": try expect("true"); return .bool(true)
            case "f": try expect("false"); return .bool(false)
            case "n": try expect("null"); return .none
            default:
                let start = i
                while i < scalars.count, "+-0123456789.eE".unicodeScalars.contains(scalars[i]) { i += 1 }
                let text = String(String.UnicodeScalarView(scalars[start..<i]))
                if let n = Int(text) { return .int(n) }
                if let d = Double(text) { return .double(d) }
                throw ParseError(message: "bad value at \(start)")
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= scalars.count, let v = UInt32(String(String.UnicodeScalarView(scalars[i..<(i + 4)])), radix: 16) else {
                throw ParseError(message: "bad \\u escape")
            }
            i += 4
            return v
        }
    }

    /// Python's `json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=sortKeys)`.
    static func dump(_ value: JinjaValue, indent: Int? = nil, sortKeys: Bool = false) -> String {
        var out = ""
        _ = dump(value, into: &out, limit: .max, indent: indent, sortKeys: sortKeys)
        return out
    }

    /// Appends the JSON of `value` to `out`; false, with `out` cut short, once it would pass
    /// `limit` bytes. The cost is bounded by `limit`, however large the value or the indent.
    static func dump(_ value: JinjaValue, into out: inout String, limit: Int, indent: Int?, sortKeys: Bool) -> Bool {
        let (itemSeparator, keySeparator) = indent == nil ? (", ", ": ") : (",", ": ")
        func put(_ s: String) -> Bool {
            guard out.utf8.count + s.utf8.count <= limit else { return false }
            out += s
            return true
        }
        func newline(_ depth: Int) -> Bool {
            guard let indent else { return true }
            let (width, overflow) = max(0, indent).multipliedReportingOverflow(by: depth)
            guard !overflow, out.utf8.count + width < limit else { return false }
            return put("\n" + String(repeating: " ", count: width))
        }
        var open: [ObjectIdentifier] = []
        func write(_ v: JinjaValue, _ level: Int) -> Bool {
            switch v {
            case .undefined, .none: return put("null")
            case .bool(let b): return put(b ? "true" : "false")
            case .int(let i): return put(String(i))
            case .double(let d):
                if d.isNaN { return put("NaN") }
                if d.isInfinite { return put(d > 0 ? "Infinity" : "-Infinity") }
                return put(JinjaValue.pythonFloat(d))
            case .string(let s):
                guard out.utf8.count + s.utf8.count <= limit else { return false }
                return put(quote(s))
            case .list(let items):
                if items.isEmpty { return put("[]") }
                guard put("["), newline(level + 1) else { return false }
                for (i, item) in items.enumerated() {
                    if i > 0 { guard put(itemSeparator), newline(level + 1) else { return false } }
                    guard write(item, level + 1) else { return false }
                }
                return newline(level) && put("]")
            case .dict(let d):
                if d.isEmpty { return put("{}") }
                var entries = d.pairs.map { (key: $0.key.text, value: $0.value) }
                if sortKeys { entries.sort { $0.key < $1.key } }
                guard put("{"), newline(level + 1) else { return false }
                for (i, entry) in entries.enumerated() {
                    if i > 0 { guard put(itemSeparator), newline(level + 1) else { return false } }
                    guard put(quote(entry.key)), put(keySeparator), write(entry.value, level + 1) else { return false }
                }
                return newline(level) && put("}")
            case .namespace(let n):
                // A namespace that contains itself cannot be written (Python: "Circular reference").
                let id = ObjectIdentifier(n)
                guard !open.contains(id) else { return false }
                open.append(id)
                defer { open.removeLast() }
                return write(.dict(n.values), level)
            case .function(let f): return put(quote("<function \(f.name)>"))
            }
        }
        return write(value, 0)
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
