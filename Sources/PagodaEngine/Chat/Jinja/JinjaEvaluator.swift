import Foundation

/// Expressions: operators with Python's semantics, attribute and item access, calls.
extension JinjaRenderer {
    func evaluate(_ expr: JinjaExpr) throws -> JinjaValue {
        switch expr {
        case .literal(let v): return v
        case .name(let n): return lookup(n)
        case .list(let items): return .list(try items.map(evaluate))
        case .tuple(let items): return .list(try items.map(evaluate))
        case .dict(let pairs):
            var d = JinjaDict()
            for (k, v) in pairs { d[value: try evaluate(k)] = try evaluate(v) }
            return .dict(d)
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
                case .int(let i): return .int(-i)
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
        case "==": return .bool(l.equals(r))
        case "!=": return .bool(!l.equals(r))
        case "<", ">", "<=", ">=":
            let (a, b) = op == "<" || op == "<=" ? (l, r) : (r, l)
            guard let less = a.less(than: b) else {
                throw error("'\(op)' not supported between instances of '\(l.typeName)' and '\(r.typeName)'")
            }
            return .bool(op.count == 2 ? less || a.equals(b) : less)
        case "in": return .bool(try contains(r, l))
        case "not in": return .bool(!(try contains(r, l)))
        case "~": return .string(l.text + r.text)
        case "+":
            switch (l, r) {
            case (.string(let a), .string(let b)): return .string(a + b)
            case (.list(let a), .list(let b)): return .list(a + b)
            default: return try arithmetic(op, l, r)
            }
        case "*":
            switch (l, r) {
            case (.string(let s), .int(let n)), (.int(let n), .string(let s)): return .string(String(repeating: s, count: max(0, n)))
            case (.list(let a), .int(let n)), (.int(let n), .list(let a)): return .list(Array(repeating: a, count: max(0, n)).flatMap { $0 })
            default: return try arithmetic(op, l, r)
            }
        case "%":
            if case .string(let format) = l { return .string(pythonPercentFormat(format, r)) }
            return try arithmetic(op, l, r)
        default:
            return try arithmetic(op, l, r)
        }
    }

    private func arithmetic(_ op: String, _ l: JinjaValue, _ r: JinjaValue) throws -> JinjaValue {
        let failure = error("unsupported operand type(s) for \(op): '\(l.isUndefined ? "Undefined" : l.typeName)' and '\(r.isUndefined ? "Undefined" : r.typeName)'")
        if case .int(let a) = l, case .int(let b) = r {
            switch op {
            case "+": return .int(a &+ b)
            case "-": return .int(a &- b)
            case "*": return .int(a &* b)
            case "/": guard b != 0 else { throw error("division by zero") }; return .double(Double(a) / Double(b))
            case "//": guard b != 0 else { throw error("integer division by zero") }; return .int(Int((Double(a) / Double(b)).rounded(.down)))
            case "%": guard b != 0 else { throw error("modulo by zero") }; return .int(((a % b) + b) % b)
            case "**": return b >= 0 ? .int(Int(pow(Double(a), Double(b)))) : .double(pow(Double(a), Double(b)))
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

    /// `%`-formatting of strings, for `%s` and `%d`.
    private func pythonPercentFormat(_ format: String, _ args: JinjaValue) -> String {
        var values: [JinjaValue]
        if case .list(let items) = args { values = items } else { values = [args] }
        var out = ""
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            guard c == "%", let spec = chars.popFirst() else { out.append(c); continue }
            switch spec {
            case "%": out.append("%")
            case "s": out += values.isEmpty ? "" : values.removeFirst().text
            case "d": out += values.isEmpty ? "" : String(Int(values.removeFirst().number ?? 0))
            default: out.append(c); out.append(spec)
            }
        }
        return out
    }

    func contains(_ container: JinjaValue, _ item: JinjaValue) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let sub) = item else { throw error("'in <string>' requires string as left operand, not \(item.typeName)") }
            return sub.isEmpty || s.contains(sub)
        case .list(let items): return items.contains { $0.equals(item) }
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
            let chars = Array(s)
            let index = i < 0 ? chars.count + i : i
            return chars.indices.contains(index) ? .string(String(chars[index])) : .undefined("[\(i)]")
        case (.dict(let d), _): return d[value: key] ?? .undefined(key.text)
        case (.namespace(let n), _): return n.values[key.text] ?? .undefined(key.text)
        case (.undefined(let what), _): throw error("'\(what)' is undefined")
        default: return .undefined(key.text)
        }
    }

    func slice(_ object: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws -> JinjaValue {
        func bounds(_ count: Int) throws -> [Int] {
            let s = Int(step?.number ?? 1)
            guard s != 0 else { throw error("slice step cannot be zero") }
            func clamp(_ v: JinjaValue?, _ fallback: Int) -> Int {
                guard let n = v?.number.map({ Int($0) }) else { return fallback }
                let i = n < 0 ? n + count : n
                return s > 0 ? min(max(i, 0), count) : min(max(i, -1), count - 1)
            }
            let a = clamp(start, s > 0 ? 0 : count - 1)
            let b = clamp(stop, s > 0 ? count : -1)
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
