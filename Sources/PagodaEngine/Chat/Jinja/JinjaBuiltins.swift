import Foundation

/// Globals, filters, tests and methods templates use.
extension JinjaRenderer {
    func builtinGlobals() -> [String: JinjaValue] {
        let now = self.now
        return [
            "raise_exception": .function(JinjaFunction(name: "raise_exception") { [unowned self] args, _, _ in
                throw JinjaError(kind: .raised, message: try args.first.map(self.str) ?? "", line: 0, column: 0)
            }),
            "strftime_now": .function(JinjaFunction(name: "strftime_now") { [unowned self] args, _, _ in
                .string(strftime(try args.first.map(self.str) ?? "", now()))
            }),
            "namespace": .function(JinjaFunction(name: "namespace") { [unowned self] args, kwargs, _ in
                var values = JinjaDict()
                if case .dict(let d)? = args.first { for (k, v) in d.entries { values[k] = v } }
                for (k, v) in kwargs.entries { values[k] = v }
                return try self.checkNesting(.namespace(self.makeNamespace(values)))
            }),
            "range": .function(JinjaFunction(name: "range") { [unowned self] args, _, _ in
                .list(try self.range(args).map { .int($0) })
            }),
            "dict": .function(JinjaFunction(name: "dict") { [unowned self] args, kwargs, _ in
                var d = JinjaDict()
                if case .dict(let base)? = args.first { for (k, v) in base.entries { d[k] = v } }
                for (k, v) in kwargs.entries { d[k] = v }
                return try self.checkNesting(.dict(d))
            }),
        ]
    }

    /// `range(stop)`, `range(start, stop[, step])`, refused past `limits.maxRange` items as
    /// jinja2's sandbox refuses them (before any is made).
    private func range(_ args: [JinjaValue]) throws -> StrideTo<Int> {
        guard (1...3).contains(args.count) else { throw error("range expected 1 to 3 arguments, got \(args.count)") }
        let n = try args.map { a -> Int in
            guard case .int(let i) = a else { throw error("'\(a.typeName)' object cannot be interpreted as an integer") }
            return i
        }
        let (start, stop, step) = n.count == 1 ? (0, n[0], 1) : (n[0], n[1], n.count > 2 ? n[2] : 1)
        guard step != 0 else { throw error("range() arg 3 must not be zero") }
        // Items: ceil((stop - start) / step) when positive, in Double so nothing overflows.
        let count = max(0, ((Double(stop) - Double(start)) / Double(step)).rounded(.up))
        guard count <= Double(limits.maxRange) else {
            throw limitError("range of \(String(format: "%.0f", count)) items is larger than the limit of \(limits.maxRange)")
        }
        try charge(Int(count))
        return stride(from: start, to: stop, by: step)
    }

    /// `s` with every `old` replaced by `new`, refused before it is built if it would pass
    /// `maxStringBytes`.
    func replacing(_ s: String, _ old: String, _ new: String) throws -> String {
        let growth = new.utf8.count - old.utf8.count
        if growth > 0 {
            let occurrences = old.isEmpty ? s.utf8.count + 1 : s.utf8.count / old.utf8.count
            if s.utf8.count + occurrences * growth > limits.maxStringBytes {
                let exact = old.isEmpty ? s.count + 1 : s.components(separatedBy: old).count - 1
                try checkString(bytes: s.utf8.count + exact * growth)
            }
        }
        try charge(s.utf8.count >> 4)
        return s.replacingOccurrences(of: old, with: new)
    }

    /// The texts of `items` joined by `separator`, within `maxStringBytes`.
    func joined(_ items: [JinjaValue], _ separator: String) throws -> String {
        var parts: [String] = []
        parts.reserveCapacity(items.count)
        var bytes = 0
        for item in items {
            parts.append(try str(item))
            bytes += parts[parts.count - 1].utf8.count + separator.utf8.count
            try checkString(bytes: bytes)
        }
        return parts.joined(separator: separator)
    }

    // MARK: - Filters

    func applyFilter(_ name: String, _ v: JinjaValue, _ args: [JinjaValue], _ kwargs: JinjaDict) throws -> JinjaValue {
        func arg(_ i: Int, _ key: String) -> JinjaValue? { i < args.count ? args[i] : kwargs[key] }
        func intArg(_ i: Int, _ key: String) throws -> Int? { try arg(i, key)?.number.map(integer) }
        try charge(1)
        switch name {
        case "trim", "strip":
            return .string(try str(v).trimmingCharacters(in: .whitespacesAndNewlines))
        case "upper": return .string(try str(v).uppercased())
        case "lower": return .string(try str(v).lowercased())
        case "title": return .string(titleCase(try str(v)))
        case "capitalize":
            let t = try str(v)
            return .string(t.prefix(1).uppercased() + t.dropFirst().lowercased())
        case "string": return .string(try str(v))
        case "safe", "e", "escape", "forceescape":
            if name == "safe" { return v }
            var text = try str(v)
            for (c, entity) in [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&#34;"), ("'", "&#39;")] {
                text = try replacing(text, c, entity)
            }
            return .string(text)
        case "length", "count":
            switch v {
            case .string(let s):
                try charge(s.utf8.count >> 4)
                return .int(s.count)
            case .list(let l): return .int(l.count)
            case .dict(let d): return .int(d.count)
            case .undefined: return .int(0)
            default: throw error("object of type '\(v.typeName)' has no len()")
            }
        case "default", "d":
            let fallback = arg(0, "default_value") ?? .string("")
            let boolean = arg(1, "boolean")?.truthy ?? false
            return v.isUndefined || (boolean && !v.truthy) ? fallback : v
        case "first":
            if case .string(let s) = v { return s.first.map { .string(String($0)) } ?? .undefined("first") }
            return try iterate(v).first ?? .undefined("first")
        case "last":
            if case .string(let s) = v { return s.last.map { .string(String($0)) } ?? .undefined("last") }
            return try iterate(v).last ?? .undefined("last")
        case "list": return .list(try iterate(v))
        case "reverse":
            if case .string(let s) = v { return .string(String(s.reversed())) }
            return .list(try iterate(v).reversed())
        case "join":
            let separator = try arg(0, "d").map(str) ?? ""
            var items = try iterate(v)
            if let attribute = arg(1, "attribute") {
                let name = try str(attribute)
                items = try items.map { try self.attribute($0, name) }
            }
            return .string(try joined(items, separator))
        case "tojson":
            let indent = try intArg(0, "indent")
            var text = ""
            guard JinjaJSON.dump(v, into: &text, limit: limits.maxStringBytes, indent: indent, sortKeys: kwargs["sort_keys"]?.truthy ?? false) else {
                throw limitError("the JSON of a \(v.typeName) is longer than the limit of \(limits.maxStringBytes) bytes")
            }
            try charge(text.utf8.count >> 4)
            return .string(text)
        case "int":
            switch v {
            case .int: return v
            case .double(let d): return .int(try integer(d))
            case .bool(let b): return .int(b ? 1 : 0)
            case .string(let s):
                let trimmed = s.trimmingCharacters(in: .whitespaces)
                if let i = Int(trimmed) { return .int(i) }
                return .int(try integer(Double(trimmed) ?? 0))
            default: return arg(0, "default") ?? .int(0)
            }
        case "float":
            if let n = v.number { return .double(n) }
            if case .string(let s) = v, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return .double(d) }
            return arg(0, "default") ?? .double(0)
        case "abs":
            switch v {
            case .int(let i):
                guard i != .min else { throw limitError("integer overflow in abs(\(i))") }
                return .int(abs(i))
            case .double(let d): return .double(abs(d))
            default: throw error("bad operand type for abs(): '\(v.typeName)'")
            }
        case "round":
            let precision = max(-400, min(400, try intArg(0, "precision") ?? 0))
            let factor = pow(10, Double(precision))
            return .double(((v.number ?? 0) * factor).rounded(.toNearestOrEven) / factor)
        case "replace":
            guard let old = arg(0, "old"), let new = arg(1, "new") else { throw error("replace needs two arguments") }
            return .string(try replacing(try str(v), try str(old), try str(new)))
        case "indent":
            let width = arg(0, "width")
            let pad: String
            if case .string(let s)? = width {
                pad = s
            } else {
                let n = max(0, try intArg(0, "width") ?? 4)
                try checkString(bytes: n)
                pad = String(repeating: " ", count: n)
            }
            let first = arg(1, "first")?.truthy ?? false
            let blank = arg(2, "blank")?.truthy ?? false
            let text = try str(v)
            let lines = text.components(separatedBy: "\n")
            try checkString(bytes: text.utf8.count + lines.count * pad.utf8.count)
            let out = lines.enumerated().map { i, l -> String in
                if i == 0 && !first { return l }
                if l.isEmpty && !blank { return l }
                return pad + l
            }
            return .string(out.joined(separator: "\n"))
        case "center":
            let width = try intArg(0, "width") ?? 80
            let s = try str(v)
            try checkString(bytes: max(width, s.utf8.count))
            let total = max(0, width - s.count)
            let left = total / 2 + (total % 2 == 1 && width % 2 == 1 ? 1 : 0)
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: total - left))
        case "unique":
            var seen: [JinjaValue] = []
            for item in try iterate(v) {
                try charge(seen.count)
                if try !seen.contains(where: { try equal($0, item) }) { seen.append(item) }
            }
            return .list(seen)
        case "items":
            guard case .dict(let d) = v else { return .list([]) }
            return try checkNesting(.list(d.pairs.map { .list([$0.key, $0.value]) }))
        case "dictsort":
            guard case .dict(let d) = v else { throw error("dictsort needs a dict") }
            func sortKey(_ k: JinjaValue) -> JinjaValue { if case .string(let s) = k { return .string(s.lowercased()) }; return k }
            try charge(d.count * max(1, d.count.bitWidth - d.count.leadingZeroBitCount))
            return try checkNesting(.list(d.pairs.sorted { try lessThan(sortKey($0.key), sortKey($1.key)) ?? false }.map { .list([$0.key, $0.value]) }))
        case "sort":
            let reverse = arg(0, "reverse")?.truthy ?? false
            let attributeName = try arg(2, "attribute").map(str)
            var items = try iterate(v)
            try charge(items.count * max(1, items.count.bitWidth - items.count.leadingZeroBitCount))
            func key(_ x: JinjaValue) throws -> JinjaValue { try attributeName.map { try self.attribute(x, $0) } ?? x }
            items = try items.sorted { a, b in
                let ka = try key(a), kb = try key(b)
                return try (reverse ? lessThan(kb, ka) : lessThan(ka, kb)) ?? false
            }
            return .list(items)
        case "sum":
            var total = JinjaValue.int(try intArg(1, "start") ?? 0)
            let attributeName = try arg(0, "attribute").map(str)
            for item in try iterate(v) {
                let value = try attributeName.map { try self.attribute(item, $0) } ?? item
                total = try binary("+", total, value)
            }
            return total
        case "min", "max":
            let items = try iterate(v)
            guard var best = items.first else { return .undefined(name) }
            for item in items.dropFirst() where try (name == "min" ? lessThan(item, best) : lessThan(best, item)) ?? false { best = item }
            return best
        case "map":
            guard v.truthy else { return .list([]) }  // jinja2 maps nothing over a falsy value
            let items = try iterate(v)
            if let attributeName = try kwargs["attribute"].map(str) {
                return .list(try items.map { item in
                    let value = try self.attribute(item, attributeName)
                    return value.isUndefined ? (kwargs["default"] ?? value) : value
                })
            }
            guard let filterName = try args.first.map(str) else { throw error("map needs a filter or attribute") }
            return .list(try items.map { try applyFilter(filterName, $0, Array(args.dropFirst()), JinjaDict()) })
        case "select", "reject", "selectattr", "rejectattr":
            guard v.truthy else { return .list([]) }  // jinja2 selects nothing from a falsy value
            let items = try iterate(v)
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            return .list(try items.filter { item in
                var subject = item
                var rest = args
                if byAttribute {
                    guard let a = rest.first else { throw error("\(name) needs an attribute") }
                    subject = try attribute(item, try str(a))
                    rest.removeFirst()
                }
                guard let test = rest.first else { return subject.truthy == keep }
                return try applyTest(try str(test), subject, Array(rest.dropFirst())) == keep
            })
        case "batch":
            let size = max(1, try intArg(0, "linecount") ?? 1)
            let items = try iterate(v)
            return try checkNesting(.list(stride(from: 0, to: items.count, by: size).map { .list(Array(items[$0..<min($0 + size, items.count)])) }))
        case "wordcount":
            return .int(try str(v).split { $0.isWhitespace }.count)
        case "pprint":
            return .string(try repr(v))
        default:
            throw error("no filter named '\(name)'")
        }
    }

    private func titleCase(_ s: String) -> String {
        var out = ""
        var previousIsLetter = false
        for c in s {
            out += previousIsLetter ? c.lowercased() : c.uppercased()
            previousIsLetter = c.isLetter
        }
        return out
    }

    // MARK: - Tests

    func applyTest(_ name: String, _ v: JinjaValue, _ args: [JinjaValue]) throws -> Bool {
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": return v.isNone
        case "boolean": if case .bool = v { return true } else { return false }
        case "true": if case .bool(true) = v { return true } else { return false }
        case "false": if case .bool(false) = v { return true } else { return false }
        case "string": if case .string = v { return true } else { return false }
        case "number": switch v { case .int, .double: return true; default: return false }
        case "integer": if case .int = v { return true } else { return false }
        case "float": if case .double = v { return true } else { return false }
        case "mapping": switch v { case .dict: return true; default: return false }
        case "sequence": switch v { case .list, .string, .dict: return true; default: return false }
        case "iterable": switch v { case .list, .string, .dict, .namespace: return true; default: return false }
        case "callable": if case .function = v { return true } else { return false }
        case "lower": let t = try str(v); return t == t.lowercased()
        case "upper": let t = try str(v); return t == t.uppercased()
        case "odd": return try integer(v.number ?? 0) % 2 != 0
        case "even": return try integer(v.number ?? 0) % 2 == 0
        case "divisibleby":
            let d = try integer(args.first?.number ?? 1)
            let n = try integer(v.number ?? 0)
            return d != 0 && n.remainderReportingOverflow(dividingBy: d).partialValue == 0
        case "equalto", "eq", "==", "sameas": return try equal(v, args.first ?? .none)
        case "ne", "!=": return try !equal(v, args.first ?? .none)
        case "lt", "lessthan", "<": return try lessThan(v, args.first ?? .none) ?? false
        case "gt", "greaterthan", ">": return try lessThan(args.first ?? .none, v) ?? false
        case "le", "<=": return try equal(v, args.first ?? .none) || (lessThan(v, args.first ?? .none) ?? false)
        case "ge", ">=": return try equal(v, args.first ?? .none) || (lessThan(args.first ?? .none, v) ?? false)
        case "in": return try contains(args.first ?? .list([]), v)
        default: throw error("no test named '\(name)'")
        }
    }

    // MARK: - Methods

    /// `object.method(args)` for Python's str, dict and list methods; nil if `object` has no
    /// such method (then the attribute is looked up as usual).
    func callMethod(_ object: JinjaValue, _ method: String, _ args: [JinjaValue], _ kwargs: JinjaDict) throws -> JinjaValue? {
        switch object {
        case .string(let s):
            let a0 = try args.first.map(str)
            try charge(s.utf8.count >> 4)
            switch method {
            case "startswith", "endswith":
                let candidates: [String] = if case .list(let items)? = args.first { try items.map(str) } else { [a0 ?? ""] }
                return .bool(candidates.contains { method == "startswith" ? s.hasPrefix($0) : s.hasSuffix($0) })
            case "strip", "lstrip", "rstrip":
                let set = a0.map { CharacterSet(charactersIn: $0) } ?? .whitespacesAndNewlines
                var scalars = Substring(s).unicodeScalars[...]
                if method != "rstrip" { while let f = scalars.first, set.contains(f) { scalars.removeFirst() } }
                if method != "lstrip" { while let l = scalars.last, set.contains(l) { scalars.removeLast() } }
                return .string(String(String.UnicodeScalarView(scalars)))
            case "split", "rsplit":
                let limit = try (args.count > 1 ? args[1] : kwargs["maxsplit"])?.number.map(integer) ?? -1
                return .list(pythonSplit(s, separator: a0, limit: limit, fromRight: method == "rsplit").map { .string($0) })
            case "splitlines": return .list(s.components(separatedBy: .newlines).map { .string($0) })
            case "replace":
                guard args.count >= 2 else { throw error("replace needs two arguments") }
                return .string(try replacing(s, try str(args[0]), try str(args[1])))
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(titleCase(s))
            case "capitalize": return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
            case "find", "rfind", "index":
                guard let needle = a0 else { return .int(-1) }
                let range = method == "rfind" ? s.range(of: needle, options: .backwards) : s.range(of: needle)
                guard let range else {
                    if method == "index" { throw error("substring not found") }
                    return .int(-1)
                }
                return .int(s.distance(from: s.startIndex, to: range.lowerBound))
            case "count": return .int(a0.map { $0.isEmpty ? s.count + 1 : s.components(separatedBy: $0).count - 1 } ?? 0)
            case "join": return .string(try args.first.map { try joined(try iterate($0), s) } ?? "")
            case "format":
                var out = s
                for a in args {
                    let text = try str(a)
                    if let r = out.range(of: "{}") {
                        try checkString(bytes: out.utf8.count + text.utf8.count)
                        out.replaceSubrange(r, with: text)
                    }
                }
                for (k, v) in kwargs.entries { out = try replacing(out, "{\(k)}", try str(v)) }
                return .string(out)
            case "removeprefix": return .string(a0.map { s.hasPrefix($0) ? String(s.dropFirst($0.count)) : s } ?? s)
            case "removesuffix": return .string(a0.map { s.hasSuffix($0) ? String(s.dropLast($0.count)) : s } ?? s)
            case "isdigit": return .bool(!s.isEmpty && s.allSatisfy(\.isNumber))
            case "isalpha": return .bool(!s.isEmpty && s.allSatisfy(\.isLetter))
            case "isspace": return .bool(!s.isEmpty && s.allSatisfy(\.isWhitespace))
            default: return nil
            }
        case .dict(let d):
            switch method {
            case "items": return .list(d.pairs.map { .list([$0.key, $0.value]) })
            case "keys": return .list(d.keyValues)
            case "values": return .list(d.pairs.map(\.value))
            case "get": return d[value: args.first ?? .none] ?? (args.count > 1 ? args[1] : .none)
            default: return nil
            }
        case .list(let items):
            switch method {
            case "index":
                guard let i = try items.firstIndex(where: { try equal($0, args.first ?? .none) }) else { throw error("value is not in list") }
                return .int(i)
            case "count": return .int(try items.filter { try equal($0, args.first ?? .none) }.count)
            case "append", "pop", "insert", "extend", "remove", "clear", "sort", "reverse":
                // The sandbox transformers renders with forbids changing lists.
                throw error("access to attribute '\(method)' of 'list' object is unsafe")
            default: return nil
            }
        default:
            return nil
        }
    }

    private func pythonSplit(_ s: String, separator: String?, limit: Int, fromRight: Bool) -> [String] {
        guard let separator, !separator.isEmpty else {
            var parts = s.split(whereSeparator: { $0.isWhitespace }).map(String.init)
            if limit >= 0, parts.count > limit + 1 {
                // Re-join the tail (approximation of Python's whitespace maxsplit).
                let head = fromRight ? Array(parts.suffix(limit)) : Array(parts.prefix(limit))
                let rest = fromRight ? parts.dropLast(limit).joined(separator: " ") : parts.dropFirst(limit).joined(separator: " ")
                parts = fromRight ? [rest] + head : head + [rest]
            }
            return parts
        }
        var parts = s.components(separatedBy: separator)
        if limit >= 0, parts.count > limit + 1 {
            if fromRight {
                parts = [parts.dropLast(limit).joined(separator: separator)] + parts.suffix(limit)
            } else {
                parts = Array(parts.prefix(limit)) + [parts.dropFirst(limit).joined(separator: separator)]
            }
        }
        return parts
    }
}

/// C `strftime` of `date` in UTC.
func strftime(_ format: String, _ date: Date) -> String {
    var t = time_t(date.timeIntervalSince1970)
    var parts = tm()
    gmtime_r(&t, &parts)
    var buffer = [Int8](repeating: 0, count: 256)
    let n = strftime(&buffer, buffer.count, format, &parts)
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
