import Foundation

/// Expressions: operators with Python's semantics, attribute and item access, calls.
/// Integers are 64-bit: an operation whose result does not fit is an error (Python's would
/// grow without bound), never a trap.
extension JinjaRenderer {
    func evaluate(_ expr: JinjaExpr) throws -> JinjaValue {
        try enter()
        defer { leave() }
        return try evaluateExpression(expr)
    }

    private func evaluateExpression(_ expr: JinjaExpr) throws -> JinjaValue {
        switch expr {
        case .literal(let v): return v
        case .name(let n): return lookup(n)
        case .list(let items): return try checkNesting(.list(try items.map(evaluate)))
        case .tuple(let items): return try checkNesting(.list(try items.map(evaluate)))
        case .dict(let pairs):
            var d = JinjaDict()
            for (k, v) in pairs { d[value: try hashable(try evaluate(k))] = try evaluate(v) }
            return try checkNesting(.dict(d))
        case .attribute(let target, let name):
            return try attribute(try evaluate(target), name)
        case .index(let target, let indexExpr):
            return try item(try evaluate(target), try evaluate(indexExpr))
        case .slice(let target, let a, let b, let c):
            return try slice(try evaluate(target), try a.map(evaluate), try b.map(evaluate), try c.map(evaluate))
        case .call(let target, let args, let kwargs):
            if case .attribute(let objectExpr, let method) = target {
                let object = try evaluate(objectExpr)
                if let result = try callMethod(object, method, try args.map(evaluate), try keywords(kwargs)) { return result }
            }
            let function = try evaluate(target)
            guard case .function(let f) = function else {
                throw error("'\(function.isUndefined ? describeUndefined(function) : function.typeName)' is not callable")
            }
            return try f.call(try args.map(evaluate), try keywords(kwargs), nil)
        case .filter(let target, let name, let args, let kwargs):
            return try applyFilter(name, try evaluate(target), try args.map(evaluate), try keywords(kwargs))
        case .test(let target, let name, let args, let negated):
            let result = try applyTest(name, try evaluate(target), try args.map(evaluate))
            return .bool(result != negated)
        case .unary(let op, let operand):
            let v = try evaluate(operand)
            switch op {
            case "not": return .bool(!v.truthy)
            case "-":
                switch v {
                case .int(let i):
                    let (r, overflow) = (0).subtractingReportingOverflow(i)
                    guard !overflow else { throw overflowError("-", v, v) }
                    return .int(r)
                case .double(let d): return .double(-d)
                default: throw error("bad operand type for unary -: '\(v.typeName)'")
                }
            default: return v
            }
        case .binary(let op, let lhs, let rhs):
            if op == "and" {
                let l = try evaluate(lhs)
                return l.truthy ? try evaluate(rhs) : l
            }
            if op == "or" {
                let l = try evaluate(lhs)
                return l.truthy ? l : try evaluate(rhs)
            }
            return try binary(op, try evaluate(lhs), try evaluate(rhs))
        case .conditional(let then, let condition, let otherwise):
            if try evaluate(condition).truthy { return try evaluate(then) }
            return try otherwise.map(evaluate) ?? .undefined("conditional")
        }
    }

    func describeUndefined(_ v: JinjaValue) -> String {
        if case .undefined(let name) = v { return name }
        return v.typeName
    }

    func binary(_ op: String, _ l: JinjaValue, _ r: JinjaValue) throws -> JinjaValue {
        switch op {
        case "==": return .bool(try equal(l, r))
        case "!=": return .bool(!(try equal(l, r)))
        case "<", ">", "<=", ">=":
            let (a, b) = op == "<" || op == "<=" ? (l, r) : (r, l)
            guard let less = try lessThan(a, b) else {
                throw error("'\(op)' not supported between instances of '\(l.typeName)' and '\(r.typeName)'")
            }
            return .bool(try op.count == 2 ? less || equal(a, b) : less)
        case "in": return .bool(try contains(r, l))
        case "not in": return .bool(!(try contains(r, l)))
        case "~":
            let (a, b) = (try str(l), try str(r))
            try checkString(bytes: a.utf8.count + b.utf8.count)
            return .string(a + b)
        case "+":
            switch (l, r) {
            case (.string(let a), .string(let b)):
                try checkString(bytes: a.utf8.count + b.utf8.count)
                return .string(a + b)
            case (.list(let a), .list(let b)):
                try checkList(count: a.count + b.count)
                return .list(a + b)
            default: return try arithmetic(op, l, r)
            }
        case "*":
            switch (l, r) {
            case (.string(let s), .int(let n)), (.int(let n), .string(let s)):
                let (bytes, overflow) = s.utf8.count.multipliedReportingOverflow(by: max(0, n))
                try checkString(bytes: overflow ? Int.max : bytes)
                return .string(s.isEmpty ? "" : String(repeating: s, count: max(0, n)))
            case (.list(let a), .int(let n)), (.int(let n), .list(let a)):
                let (count, overflow) = a.count.multipliedReportingOverflow(by: max(0, n))
                try checkList(count: overflow ? Int.max : count)
                return .list(a.isEmpty ? [] : Array(repeating: a, count: max(0, n)).flatMap { $0 })
            default: return try arithmetic(op, l, r)
            }
        case "%":
            if case .string(let format) = l { return .string(try pythonPercentFormat(format, r)) }
            return try arithmetic(op, l, r)
        default:
            return try arithmetic(op, l, r)
        }
    }

    private func arithmetic(_ op: String, _ l: JinjaValue, _ r: JinjaValue) throws -> JinjaValue {
        let failure = error("unsupported operand type(s) for \(op): '\(l.isUndefined ? "Undefined" : l.typeName)' and '\(r.isUndefined ? "Undefined" : r.typeName)'")
        if case .int(let a) = l, case .int(let b) = r {
            func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
                guard !result.overflow else { throw overflowError(op, l, r) }
                return .int(result.partialValue)
            }
            switch op {
            case "+": return try checked(a.addingReportingOverflow(b))
            case "-": return try checked(a.subtractingReportingOverflow(b))
            case "*": return try checked(a.multipliedReportingOverflow(by: b))
            case "/": guard b != 0 else { throw error("division by zero") }; return .double(Double(a) / Double(b))
            case "//", "%":
                guard b != 0 else { throw error(op == "%" ? "modulo by zero" : "integer division by zero") }
                let q = a.dividedReportingOverflow(by: b), m = a.remainderReportingOverflow(dividingBy: b)
                guard !q.overflow, !m.overflow else { throw overflowError(op, l, r) }
                // Python rounds the quotient down, so the remainder takes the divisor's sign.
                let adjust = m.partialValue != 0 && (m.partialValue < 0) != (b < 0)
                return op == "%" ? .int(adjust ? m.partialValue + b : m.partialValue) : .int(adjust ? q.partialValue - 1 : q.partialValue)
            case "**":
                guard b >= 0 else { return .double(pow(Double(a), Double(b))) }
                return .int(try power(a, b, l, r))
            default: throw failure
            }
        }
        guard let a = l.number, let b = r.number, !(l.isUndefined || r.isUndefined) else { throw failure }
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/": guard b != 0 else { throw error("division by zero") }; return .double(a / b)
        case "//": guard b != 0 else { throw error("division by zero") }; return .double((a / b).rounded(.down))
        case "%": guard b != 0 else { throw error("modulo by zero") }; return .double(a - b * (a / b).rounded(.down))
        case "**": return .double(pow(a, b))
        default: throw failure
        }
    }

    /// `a ** b` for `b >= 0` by repeated squaring, every step checked.
    private func power(_ base: Int, _ exponent: Int, _ l: JinjaValue, _ r: JinjaValue) throws -> Int {
        var result = 1, square = base, e = exponent
        while e > 0 {
            if e & 1 == 1 {
                let p = result.multipliedReportingOverflow(by: square)
                guard !p.overflow else { throw overflowError("**", l, r) }
                result = p.partialValue
            }
            e >>= 1
            if e > 0 {
                let p = square.multipliedReportingOverflow(by: square)
                guard !p.overflow else { throw overflowError("**", l, r) }
                square = p.partialValue
            }
        }
        return result
    }

    private func overflowError(_ op: String, _ l: JinjaValue, _ r: JinjaValue) -> JinjaError {
        limitError("integer overflow in \(l.repr) \(op) \(r.repr) (integers are 64-bit here)")
    }

    /// `%`-formatting of strings, for `%s` and `%d`.
    private func pythonPercentFormat(_ format: String, _ args: JinjaValue) throws -> String {
        var values: [JinjaValue]
        if case .list(let items) = args { values = items } else { values = [args] }
        var out = ""
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            guard c == "%", let spec = chars.popFirst() else { out.append(c); continue }
            switch spec {
            case "%": out.append("%")
            case "s": out += values.isEmpty ? "" : try str(values.removeFirst())
            case "d": out += values.isEmpty ? "" : String(try integer(values.removeFirst().number ?? 0))
            default: out.append(c); out.append(spec)
            }
            try checkString(bytes: out.utf8.count)
        }
        return out
    }

    /// `d` as an Int (toward zero), or an error where Python's `int()` would give a number
    /// too large to hold or fail (nan, infinity).
    func integer(_ d: Double) throws -> Int {
        guard let i = Int(exactly: d.rounded(.towardZero)) else {
            throw limitError("\(JinjaValue.pythonFloat(d)) is not an integer that fits in 64 bits")
        }
        return i
    }

    /// `key` if it can be a dict key (Python raises for lists and dicts).
    func hashable(_ key: JinjaValue) throws -> JinjaValue {
        switch key {
        case .list, .dict: throw error("unhashable type: '\(key.typeName)'")
        default: return key
        }
    }

    func contains(_ container: JinjaValue, _ item: JinjaValue) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let sub) = item else { throw error("'in <string>' requires string as left operand, not \(item.typeName)") }
            try charge(s.utf8.count >> 4)
            return sub.isEmpty || s.contains(sub)
        case .list(let items):
            try charge(items.count)
            return try items.contains { try equal($0, item) }
        case .dict(let d): return d[value: item] != nil
        case .namespace(let n): return n.values[item.text] != nil
        case .undefined: return false  // jinja2's Undefined iterates as empty
        default: throw error("argument of type '\(container.typeName)' is not iterable")
        }
    }

    func attribute(_ object: JinjaValue, _ name: String) throws -> JinjaValue {
        switch object {
        case .dict(let d): return d[name] ?? .undefined(name)
        case .namespace(let n): return n.values[name] ?? .undefined(name)
        case .undefined(let what): throw error("'\(what)' is undefined")
        default: return .undefined(name)
        }
    }

    func item(_ object: JinjaValue, _ key: JinjaValue) throws -> JinjaValue {
        switch (object, key) {
        case (.list(let items), .int(let i)):
            let index = i < 0 ? items.count + i : i
            return items.indices.contains(index) ? items[index] : .undefined("[\(i)]")
        case (.string(let s), .int(let i)):
            try charge(s.utf8.count >> 4)
            let chars = Array(s)
            let index = i < 0 ? chars.count + i : i
            return chars.indices.contains(index) ? .string(String(chars[index])) : .undefined("[\(i)]")
        case (.dict(let d), _):
            let name = try str(key)
            return d[value: try hashable(key)] ?? .undefined(name)
        case (.namespace(let n), _):
            let name = try str(key)
            return n.values[name] ?? .undefined(name)
        case (.undefined(let what), _): throw error("'\(what)' is undefined")
        default: return .undefined(try str(key))
        }
    }

    func slice(_ object: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws -> JinjaValue {
        func bounds(_ count: Int) throws -> [Int] {
            try charge(count)
            // Bounds past the sequence's length clamp to it, as Python's do.
            func index(_ v: JinjaValue?) throws -> Int? {
                try v?.number.map { try integer(max(min($0, 1e18), -1e18)) }
            }
            let s = try index(step) ?? 1
            guard s != 0 else { throw error("slice step cannot be zero") }
            func clamp(_ v: JinjaValue?, _ fallback: Int) throws -> Int {
                guard let n = try index(v) else { return fallback }
                let i = n < 0 ? n + count : n
                return s > 0 ? min(max(i, 0), count) : min(max(i, -1), count - 1)
            }
            let a = try clamp(start, s > 0 ? 0 : count - 1)
            let b = try clamp(stop, s > 0 ? count : -1)
            return Array(stride(from: a, to: b, by: s))
        }
        switch object {
        case .list(let items): return .list(try bounds(items.count).map { items[$0] })
        case .string(let text):
            let chars = Array(text)
            return .string(String(try bounds(chars.count).map { chars[$0] }))
        case .undefined(let what): throw error("'\(what)' is undefined")
        default: throw error("'\(object.typeName)' object is not subscriptable")
        }
    }
}
