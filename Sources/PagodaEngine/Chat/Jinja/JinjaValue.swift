import Foundation

/// A value in a Jinja template, with Python's semantics where templates rely on them
/// (truthiness, `str()`, `repr()`, comparisons, ordered dicts).
public indirect enum JinjaValue: Sendable {
    case undefined(String)            // what was looked up, for error messages
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([JinjaValue])
    case dict(JinjaDict)
    case function(JinjaFunction)
    case namespace(JinjaNamespace)

    public var isUndefined: Bool { if case .undefined = self { true } else { false } }
    public var isNone: Bool { if case .none = self { true } else { false } }

    /// Python truthiness.
    public var truthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        case .dict(let d): !d.isEmpty
        case .function, .namespace: true
        }
    }

    /// Python `str()`, as `{{ x }}` prints it.
    public var text: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: repr
        }
    }

    /// Python `repr()`.
    public var repr: String {
        var out = ""
        _ = appendRepr(to: &out, limit: .max)
        return out
    }

    /// Not a container: no list, dict or namespace inside.
    var isScalar: Bool {
        switch self {
        case .list, .dict, .namespace: false
        default: true
        }
    }

    /// Appends `str(self)` to `out`; false, with `out` cut short, once `out` would pass
    /// `limit` bytes. The cost is bounded by `limit`, however large the value.
    func appendText(to out: inout String, limit: Int) -> Bool {
        guard case .string(let s) = self else { return appendRepr(to: &out, limit: limit) }
        guard out.utf8.count + s.utf8.count <= limit else { return false }
        out += s
        return true
    }

    /// Appends `repr(self)` to `out`, as `appendText` does. A namespace that contains itself
    /// prints `...` where it recurs, as Python's containers do.
    func appendRepr(to out: inout String, limit: Int) -> Bool {
        var open: [ObjectIdentifier] = []
        func put(_ s: String) -> Bool {
            guard out.utf8.count + s.utf8.count <= limit else { return false }
            out += s
            return true
        }
        func write(_ v: JinjaValue) -> Bool {
            switch v {
            case .undefined: return true
            case .none: return put("None")
            case .bool(let b): return put(b ? "True" : "False")
            case .int(let i): return put(String(i))
            case .double(let d): return put(Self.pythonFloat(d))
            case .string(let s):
                guard out.utf8.count + s.utf8.count <= limit else { return false }
                return put(Self.pythonRepr(s))
            case .list(let items):
                guard put("[") else { return false }
                for (i, item) in items.enumerated() {
                    guard i == 0 || put(", "), write(item) else { return false }
                }
                return put("]")
            case .dict(let d):
                guard put("{") else { return false }
                for (i, pair) in d.pairs.enumerated() {
                    guard i == 0 || put(", "), write(pair.key), put(": "), write(pair.value) else { return false }
                }
                return put("}")
            case .function(let f): return put("<function \(f.name)>")
            case .namespace(let n):
                let id = ObjectIdentifier(n)
                if open.contains(id) { return put("...") }
                open.append(id)
                defer { open.removeLast() }
                guard put("<Namespace ") else { return false }
                for (i, entry) in n.values.entries.enumerated() {
                    guard i == 0 || put(", "), put(entry.key), put("="), write(entry.value) else { return false }
                }
                return put(">")
            }
        }
        return write(self)
    }

    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    static func pythonRepr(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote { out += "\\\(quote)" } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\x%02x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + String(quote)
    }

    var typeName: String {
        switch self {
        case .undefined: "undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .list: "list"
        case .dict: "dict"
        case .function: "function"
        case .namespace: "Namespace"
        }
    }

    /// Python `==`.
    public func equals(_ other: JinjaValue) -> Bool {
        var budget = Int.max
        return equals(other, budget: &budget)
    }

    /// Python `==`, visiting at most `budget` values (lists share their items, so a value
    /// may stand for far more than its memory); once the budget is spent, `budget` is
    /// negative and the answer is meaningless.
    func equals(_ other: JinjaValue, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        return switch (self, other) {
        case (.undefined, .undefined), (.none, .none): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): Double(a) == b
        case (.bool(let a), .int(let b)), (.int(let b), .bool(let a)): (a ? 1 : 0) == b
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.equals($1, budget: &budget) }
        case (.dict(let a), .dict(let b)):
            a.count == b.count && a.pairs.allSatisfy { e in b[value: e.key].map { $0.equals(e.value, budget: &budget) } ?? false }
        case (.namespace(let a), .namespace(let b)): a === b
        default: false
        }
    }

    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// Python `<`; nil where Python raises.
    func less(than other: JinjaValue) -> Bool? {
        var budget = Int.max
        return less(than: other, budget: &budget)
    }

    /// Python `<` within a budget of values visited, as `equals(_:budget:)`.
    func less(than other: JinjaValue, budget: inout Int) -> Bool? {
        budget -= 1
        guard budget >= 0 else { return nil }
        switch (self, other) {
        case (.string(let a), .string(let b)): return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case (.list(let a), .list(let b)):
            for (x, y) in zip(a, b) where !x.equals(y, budget: &budget) { return x.less(than: y, budget: &budget) }
            return a.count < b.count
        default:
            guard let a = number, let b = other.number else { return nil }
            return a < b
        }
    }
}

/// A dictionary that keeps insertion order, as Python's does. Keys are usually strings but
/// may be numbers (`{1024: 256}`); a key is found by its type and value.
public struct JinjaDict: Sendable {
    public private(set) var keyValues: [JinjaValue] = []
    private var storage: [Key: JinjaValue] = [:]

    public init() {}
    public init(_ pairs: [(String, JinjaValue)]) { for (k, v) in pairs { self[k] = v } }

    /// A key as Python hashes it: numbers equal across int, float and bool.
    enum Key: Hashable {
        case string(String), number(Int), double(UInt64), none, object(ObjectIdentifier), function(String), undefined
        /// Lists and dicts are not hashable in Python; the renderer refuses them first.
        case other(String)
    }

    static func id(_ key: JinjaValue) -> Key {
        switch key {
        case .string(let s): .string(s)
        case .int(let i): .number(i)
        case .double(let d): d == d.rounded() && abs(d) < 1e18 ? .number(Int(d)) : .double(d.bitPattern)
        case .bool(let b): .number(b ? 1 : 0)
        case .none: .none
        case .namespace(let n): .object(ObjectIdentifier(n))
        case .function(let f): .function(f.name)
        case .undefined: .undefined
        case .list, .dict: .other(key.repr)
        }
    }

    public subscript(key: String) -> JinjaValue? {
        get { storage[.string(key)] }
        set { self[value: .string(key)] = newValue }
    }

    public subscript(value key: JinjaValue) -> JinjaValue? {
        get { storage[Self.id(key)] }
        set {
            let id = Self.id(key)
            if let newValue {
                if storage.updateValue(newValue, forKey: id) == nil { keyValues.append(key) }
            } else if storage.removeValue(forKey: id) != nil {
                keyValues.removeAll { Self.id($0) == id }
            }
        }
    }

    public var count: Int { keyValues.count }
    public var isEmpty: Bool { keyValues.isEmpty }
    /// Keys as text (for string-keyed dicts).
    public var keys: [String] { keyValues.map(\.text) }
    public var entries: [(key: String, value: JinjaValue)] { keyValues.map { ($0.text, storage[Self.id($0)]!) } }
    public var pairs: [(key: JinjaValue, value: JinjaValue)] { keyValues.map { ($0, storage[Self.id($0)]!) } }
}

/// `namespace()`: the one mutable object templates have, for state that survives loops.
public final class JinjaNamespace: @unchecked Sendable {
    var values = JinjaDict()
    init(_ values: JinjaDict) { self.values = values }
}

/// A callable: a built-in global or a template macro.
public struct JinjaFunction: Sendable {
    let name: String
    let call: @Sendable (_ positional: [JinjaValue], _ keywords: JinjaDict, _ caller: JinjaValue?) throws -> JinjaValue
}
