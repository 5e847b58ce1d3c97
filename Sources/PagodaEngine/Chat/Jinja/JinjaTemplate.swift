import Foundation

/// A parsed Jinja template, rendered the way Hugging Face transformers renders chat
/// templates (`trim_blocks`, `lstrip_blocks`, loop controls, `raise_exception`,
/// `strftime_now`, a `tojson` that keeps non-ASCII text), within `limits`.
public struct JinjaTemplate: @unchecked Sendable {
    let nodes: [JinjaNode]
    /// The clock `strftime_now` reads (tests pin it).
    public var now: @Sendable () -> Date = { Date() }
    public let limits: JinjaLimits

    /// Parses `source`; a syntax error names its line and column. Runs on the thread with
    /// `limits.stackBytes` of stack (`withLargeStack`).
    public init(_ source: String, limits: JinjaLimits = .default) throws {
        self.limits = limits
        nodes = try withLargeStack(bytes: limits.stackBytes) { try JinjaParser.parse(source, limits: limits) }
    }

    /// Renders with `variables` as the template's globals. Runs on the thread with
    /// `limits.stackBytes` of stack (`withLargeStack`); every value the render builds is
    /// released there.
    public func render(_ variables: [String: JinjaValue]) throws -> String {
        let nodes = nodes, now = now, limits = limits
        return try withLargeStack(bytes: limits.stackBytes) {
            let renderer = JinjaRenderer(globals: variables, now: now, limits: limits)
            defer { renderer.releaseNamespaces() }
            var out = ""
            try renderer.render(nodes, into: &out)
            return out
        }
    }
}

/// Loop control, carried as errors out of the loop body.
enum JinjaLoopControl: Error { case breakLoop, continueLoop }

/// Evaluates nodes against a stack of scopes. Loops and macros push scopes; `set` writes the
/// innermost (so, as in Jinja, a `set` inside a loop does not survive the loop).
///
/// Every node and expression entered counts against `limits.maxDepth` and `maxWork`; every
/// string and list built is checked against its bound before it is built (see `JinjaLimits`).
final class JinjaRenderer: @unchecked Sendable {
    var scopes: [[String: JinjaValue]]
    let now: @Sendable () -> Date
    let limits: JinjaLimits
    var line = 1
    var column = 1
    private var depth = 0
    private var work = 0
    /// Every namespace this render made: one may hold itself (`{% set ns.me = ns %}`), a
    /// cycle reference counting never frees, so they are emptied when the render ends.
    private var namespaces: [JinjaNamespace] = []

    init(globals: [String: JinjaValue], now: @escaping @Sendable () -> Date, limits: JinjaLimits = .default) {
        self.now = now
        self.limits = limits
        scopes = [[:], globals]
        scopes[0] = builtinGlobals()
    }

    func error(_ message: String) -> JinjaError {
        JinjaError(kind: .runtime, message: message, line: line, column: column)
    }

    func makeNamespace(_ values: JinjaDict) -> JinjaNamespace {
        let ns = JinjaNamespace(values)
        namespaces.append(ns)
        return ns
    }

    /// Breaks any cycle through a namespace (values never outlive the render).
    func releaseNamespaces() {
        for ns in namespaces { ns.values = JinjaDict() }
        namespaces = []
    }

    func limitError(_ message: String) -> JinjaError {
        JinjaError(kind: .limit, message: message, line: line, column: column)
    }

    // MARK: - Bounds

    /// One level deeper and one unit of work; `leave()` when done.
    @inline(__always) func enter() throws {
        depth += 1
        work += 1
        guard depth <= limits.maxDepth else { throw limitError("rendering nests deeper than \(limits.maxDepth) levels (macro recursion?)") }
        guard work <= limits.maxWork else { throw limitError("rendering takes more than \(limits.maxWork) steps (a loop too long?)") }
    }

    @inline(__always) func leave() { depth -= 1 }

    /// `units` of work (items touched, or 16-byte chunks of text).
    @inline(__always) func charge(_ units: Int) throws {
        work += units
        guard work <= limits.maxWork else { throw limitError("rendering takes more than \(limits.maxWork) steps (a loop too long?)") }
    }

    /// Checks a string about to be built of `bytes` and charges for it.
    func checkString(bytes: Int) throws {
        guard bytes <= limits.maxStringBytes else { throw limitError("a string of \(bytes) bytes is longer than the limit of \(limits.maxStringBytes)") }
        try charge(bytes >> 4)
    }

    /// Checks a list about to be built of `count` items and charges for it.
    func checkList(count: Int) throws {
        guard count <= limits.maxListItems else { throw limitError("a list of \(count) items is longer than the limit of \(limits.maxListItems)") }
        try charge(count)
    }

    /// `value` once its nesting is known to be within `maxValueDepth` (for values that
    /// wrap others: literals, `dict()`, `namespace()`, attributes set on a namespace).
    /// The walk is charged per value visited: shared lists can make a value stand for far
    /// more than its memory.
    func checkNesting(_ value: JinjaValue) throws -> JinjaValue {
        func fits(_ v: JinjaValue, _ room: Int) throws -> Bool {
            switch v {
            case .list(let items):
                try charge(1 + items.count)
                return try room > 0 && items.allSatisfy { try $0.isScalar || fits($0, room - 1) }
            case .dict(let d):
                try charge(1 + d.count)
                return try room > 0 && d.pairs.allSatisfy { try $0.value.isScalar || fits($0.value, room - 1) }
            case .namespace(let n):
                try charge(1 + n.values.count)
                return try room > 0 && n.values.pairs.allSatisfy { try $0.value.isScalar || fits($0.value, room - 1) }
            default:
                return true
            }
        }
        let ok = try fits(value, limits.maxValueDepth)
        guard ok else { throw limitError("a value nests lists, dicts or namespaces deeper than \(limits.maxValueDepth) levels") }
        return value
    }

    /// Python `==`, charged one unit per value compared.
    func equal(_ a: JinjaValue, _ b: JinjaValue) throws -> Bool {
        let start = max(0, limits.maxWork - work)
        var budget = start
        let result = a.equals(b, budget: &budget)
        try charge(start - budget)
        return result
    }

    /// Python `<` (nil where Python raises), charged one unit per value compared.
    func lessThan(_ a: JinjaValue, _ b: JinjaValue) throws -> Bool? {
        let start = max(0, limits.maxWork - work)
        var budget = start
        let result = a.less(than: b, budget: &budget)
        try charge(start - budget)
        return result
    }

    /// Python `str(value)`, as `{{ value }}` prints it, within `maxStringBytes`.
    func str(_ value: JinjaValue) throws -> String {
        if case .string(let s) = value { return s }
        var out = ""
        guard value.appendText(to: &out, limit: limits.maxStringBytes) else {
            throw limitError("the text of a \(value.typeName) is longer than the limit of \(limits.maxStringBytes) bytes")
        }
        try charge(out.utf8.count >> 4)
        return out
    }

    /// Python `repr(value)`, within `maxStringBytes`.
    func repr(_ value: JinjaValue) throws -> String {
        var out = ""
        guard value.appendRepr(to: &out, limit: limits.maxStringBytes) else {
            throw limitError("the repr of a \(value.typeName) is longer than the limit of \(limits.maxStringBytes) bytes")
        }
        try charge(out.utf8.count >> 4)
        return out
    }

    /// Appends rendered text, within `maxOutputBytes`.
    func emit(_ text: String, into out: inout String) throws {
        let total = out.utf8.count + text.utf8.count
        guard total <= limits.maxOutputBytes else { throw limitError("the rendered text passes the limit of \(limits.maxOutputBytes) bytes") }
        try charge(text.utf8.count >> 4)
        out += text
    }

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let v = scope[name] { return v }
        }
        return .undefined(name)
    }

    func assign(_ name: String, _ value: JinjaValue) {
        scopes[scopes.count - 1][name] = value
    }

    // MARK: - Nodes

    func render(_ nodes: [JinjaNode], into out: inout String) throws {
        for node in nodes { try render(node, into: &out) }
    }

    func render(_ node: JinjaNode, into out: inout String) throws {
        try enter()
        defer { leave() }
        switch node {
        case .text(let t):
            try emit(t, into: &out)
        case .output(let expr, let l, let c):
            line = l; column = c
            try emit(try str(try evaluate(expr)), into: &out)
        case .ifBlock(let branches, let otherwise):
            for (condition, body) in branches where try evaluate(condition).truthy {
                return try render(body, into: &out)
            }
            try render(otherwise, into: &out)
        case .forBlock(let targets, let iterableExpr, let filter, let body, let otherwise, let l, let c):
            line = l; column = c
            try renderFor(targets, iterableExpr, filter, body, otherwise, into: &out)
        case .set(let targets, let attribute, let valueExpr, let l, let c):
            line = l; column = c
            let value = try evaluate(valueExpr)
            if let attribute {
                guard case .namespace(let ns) = lookup(targets[0]) else {
                    throw error("cannot set attribute '\(attribute)' of \(lookup(targets[0]).typeName)")
                }
                ns.values[attribute] = try checkNesting(value)
            } else if targets.count == 1 {
                assign(targets[0], value)
            } else {
                let items = try iterate(value)
                guard items.count == targets.count else { throw error("cannot unpack \(items.count) values into \(targets.count)") }
                for (t, v) in zip(targets, items) { assign(t, v) }
            }
        case .setBlock(let name, let body, let filters):
            var text = ""
            try render(body, into: &text)
            var value = JinjaValue.string(text)
            for (f, args, kwargs) in filters { value = try applyFilter(f, value, args.map(evaluate), try keywords(kwargs)) }
            assign(name, value)
        case .macro(let name, let parameters, let body):
            assign(name, makeMacro(name, parameters, body))
        case .callBlock(let call, let parameters, let body, let l, let c):
            line = l; column = c
            let caller = makeMacro("caller", parameters, body)
            guard case .call(let target, let args, let kwargs) = call else { throw error("call block needs a macro call") }
            let function = try evaluate(target)
            guard case .function(let f) = function else { throw error("\(function.typeName) is not callable") }
            try emit(try str(try f.call(args.map(evaluate), try keywords(kwargs), caller)), into: &out)
        case .filterBlock(let filters, let body, let l, let c):
            var text = ""
            try render(body, into: &text)
            line = l; column = c
            var value = JinjaValue.string(text)
            for (f, args, kwargs) in filters { value = try applyFilter(f, value, args.map(evaluate), try keywords(kwargs)) }
            try emit(try str(value), into: &out)
        case .breakLoop: throw JinjaLoopControl.breakLoop
        case .continueLoop: throw JinjaLoopControl.continueLoop
        }
    }

    private func renderFor(_ targets: [String], _ iterableExpr: JinjaExpr, _ filter: JinjaExpr?, _ body: [JinjaNode], _ otherwise: [JinjaNode], into out: inout String) throws {
        var items = try iterate(try evaluate(iterableExpr))
        try charge(items.count)
        scopes.append([:])
        defer { scopes.removeLast() }
        func bind(_ item: JinjaValue) throws {
            if targets.count == 1 {
                assign(targets[0], item)
            } else {
                let parts = try iterate(item)
                guard parts.count == targets.count else { throw error("cannot unpack \(parts.count) values into \(targets.count)") }
                for (t, v) in zip(targets, parts) { assign(t, v) }
            }
        }
        if let filter {
            items = try items.filter { item in
                try bind(item)
                return try evaluate(filter).truthy
            }
        }
        if items.isEmpty { return try render(otherwise, into: &out) }
        let count = items.count
        for (i, item) in items.enumerated() {
            scopes[scopes.count - 1] = [:]
            try bind(item)
            var loop = JinjaDict()
            loop["index"] = .int(i + 1)
            loop["index0"] = .int(i)
            loop["revindex"] = .int(count - i)
            loop["revindex0"] = .int(count - i - 1)
            loop["first"] = .bool(i == 0)
            loop["last"] = .bool(i == count - 1)
            loop["length"] = .int(count)
            loop["previtem"] = i > 0 ? items[i - 1] : .undefined("loop.previtem")
            loop["nextitem"] = i + 1 < count ? items[i + 1] : .undefined("loop.nextitem")
            loop["depth"] = .int(1)
            loop["depth0"] = .int(0)
            loop["cycle"] = .function(JinjaFunction(name: "cycle") { args, _, _ in
                args.isEmpty ? .none : args[i % args.count]
            })
            assign("loop", .dict(loop))
            try charge(limits.loopIterationWork)
            do {
                try render(body, into: &out)
            } catch JinjaLoopControl.continueLoop {
                continue
            } catch JinjaLoopControl.breakLoop {
                break
            }
        }
    }

    private func makeMacro(_ name: String, _ parameters: [(String, JinjaExpr?)], _ body: [JinjaNode]) -> JinjaValue {
        // Macros see the template's top-level variables as they are when called (as in Jinja),
        // not the caller's loop variables.
        return .function(JinjaFunction(name: name) { [unowned self] args, kwargs, caller in
            let saved = self.scopes
            self.scopes = Array(self.scopes.prefix(2))
            self.scopes.append([:])
            defer { self.scopes = saved }
            var extra: [JinjaValue] = []
            for (i, (param, defaultExpr)) in parameters.enumerated() {
                if i < args.count {
                    self.assign(param, args[i])
                } else if let v = kwargs[param] {
                    self.assign(param, v)
                } else if let defaultExpr {
                    self.assign(param, try self.evaluate(defaultExpr))
                } else {
                    self.assign(param, .undefined(param))
                }
            }
            if args.count > parameters.count { extra = Array(args[parameters.count...]) }
            self.assign("varargs", try self.checkNesting(.list(extra)))
            var rest = JinjaDict()
            for (k, v) in kwargs.entries where !parameters.contains(where: { $0.0 == k }) { rest[k] = v }
            self.assign("kwargs", try self.checkNesting(.dict(rest)))
            if let caller { self.assign("caller", caller) }
            var text = ""
            try self.render(body, into: &text)
            return .string(text)
        })
    }

    func keywords(_ pairs: [(String, JinjaExpr)]) throws -> JinjaDict {
        var d = JinjaDict()
        for (k, e) in pairs { d[k] = try evaluate(e) }
        return d
    }

    /// Items of an iterable value: list items, dict keys, string characters.
    func iterate(_ value: JinjaValue) throws -> [JinjaValue] {
        switch value {
        case .list(let items): return items
        case .dict(let d): return d.keyValues
        case .string(let s):
            try checkList(count: s.utf8.count)
            return s.map { .string(String($0)) }
        case .undefined: return []
        case .namespace(let n): return n.values.keys.map { .string($0) }
        default: throw error("'\(value.typeName)' object is not iterable")
        }
    }
}
