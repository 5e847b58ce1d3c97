/// Parses the segments of a template into nodes: statements nest by their `end…` tags,
/// expressions by Jinja's precedence (conditional < or < and < not < comparison < + - <
/// ~ < * / // % < ** < unary < filters, tests, calls, attributes).
///
/// Blocks and expressions nest at most `limits.maxDepth` deep: deeper input is a `.limit`
/// error before the parser's own recursion could exhaust the stack.
struct JinjaParser {
    private let segments: [JinjaSegment]
    private let limits: JinjaLimits
    private var position = 0
    private var depth = 0

    init(segments: [JinjaSegment], limits: JinjaLimits) {
        self.segments = segments
        self.limits = limits
    }

    static func parse(_ template: String, limits: JinjaLimits = .default) throws -> [JinjaNode] {
        var parser = JinjaParser(segments: try JinjaLexer.segments(of: template), limits: limits)
        let (nodes, end) = try parser.parseBlock(until: [])
        if let end { throw JinjaError(kind: .syntax, message: "unexpected '\(end.name)'", line: end.line, column: end.column) }
        return nodes
    }

    struct BlockEnd {
        let name: String
        var tokens: ExprParser
        let line: Int
        let column: Int
    }

    /// Nodes up to a statement whose first word is in `enders` (returned, consumed), or the end.
    mutating func parseBlock(until enders: Set<String>) throws -> ([JinjaNode], BlockEnd?) {
        depth += 1
        defer { depth -= 1 }
        var nodes: [JinjaNode] = []
        while position < segments.count {
            let segment = segments[position]
            position += 1
            switch segment {
            case .text(let t): nodes.append(.text(t))
            case .output(let tokens, let line, let column):
                var p = ExprParser(tokens: tokens, line: line, column: column, maxDepth: limits.maxDepth)
                let expr = try p.parseExpression()
                try p.expectEnd()
                nodes.append(.output(expr, line: line, column: column))
            case .statement(let tokens, let line, let column):
                var p = ExprParser(tokens: tokens, line: line, column: column, maxDepth: limits.maxDepth)
                guard case .name(let keyword) = p.next()?.kind else { throw p.error("expected a statement name") }
                if enders.contains(keyword) { return (nodes, BlockEnd(name: keyword, tokens: p, line: line, column: column)) }
                guard depth < limits.maxDepth else {
                    throw JinjaError(kind: .limit, message: "blocks nest deeper than \(limits.maxDepth) levels", line: line, column: column)
                }
                nodes.append(try parseStatement(keyword, &p, line: line, column: column))
            }
        }
        if !enders.isEmpty {
            let last = segments.last
            var line = 1
            if case .statement(_, let l, _)? = last { line = l }
            throw JinjaError(kind: .syntax, message: "missing \(enders.sorted().map { "{% \($0) %}" }.joined(separator: " or ")) at the end of the template", line: line, column: 1)
        }
        return (nodes, nil)
    }

    private mutating func parseStatement(_ keyword: String, _ p: inout ExprParser, line: Int, column: Int) throws -> JinjaNode {
        switch keyword {
        case "if":
            var branches: [(JinjaExpr, [JinjaNode])] = []
            var condition = try p.parseExpression()
            try p.expectEnd()
            while true {
                let (body, end) = try parseBlock(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                guard var end else { throw p.error("missing endif") }
                switch end.name {
                case "elif":
                    condition = try end.tokens.parseExpression()
                    try end.tokens.expectEnd()
                case "else":
                    try end.tokens.expectEnd()
                    let (otherwise, last) = try parseBlock(until: ["endif"])
                    guard last != nil else { throw p.error("missing endif") }
                    return .ifBlock(branches, otherwise: otherwise)
                default:
                    return .ifBlock(branches, otherwise: [])
                }
            }
        case "for":
            var targets: [String] = []
            repeat {
                guard case .name(let n) = p.next()?.kind else { throw p.error("expected a loop variable") }
                targets.append(n)
            } while p.skip(op: ",")
            guard p.skip(name: "in") else { throw p.error("expected 'in'") }
            let iterable = try p.parseTuple(withConditional: false)
            var filter: JinjaExpr?
            if p.skip(name: "if") { filter = try p.parseExpression() }
            _ = p.skip(name: "recursive")
            try p.expectEnd()
            let (body, end) = try parseBlock(until: ["else", "endfor"])
            var otherwise: [JinjaNode] = []
            if end?.name == "else" {
                let (elseBody, last) = try parseBlock(until: ["endfor"])
                guard last != nil else { throw p.error("missing endfor") }
                otherwise = elseBody
            } else if end == nil {
                throw p.error("missing endfor")
            }
            return .forBlock(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line, column: column)
        case "set":
            var targets: [String] = []
            var attribute: String?
            repeat {
                guard case .name(let n) = p.next()?.kind else { throw p.error("expected a name to set") }
                targets.append(n)
                if p.skip(op: ".") {
                    guard case .name(let a) = p.next()?.kind else { throw p.error("expected an attribute name") }
                    attribute = a
                }
            } while p.skip(op: ",")
            if p.skip(op: "=") {
                let value = try p.parseTuple(withConditional: true)
                try p.expectEnd()
                return .set(targets: targets, attribute: attribute, value: value, line: line, column: column)
            }
            var filters: [(String, [JinjaExpr], [(String, JinjaExpr)])] = []
            while p.skip(op: "|") { filters.append(try p.parseFilterCall()) }
            try p.expectEnd()
            let (body, end) = try parseBlock(until: ["endset"])
            guard end != nil, targets.count == 1 else { throw p.error("missing endset") }
            return .setBlock(name: targets[0], body: body, filters: filters)
        case "macro":
            guard case .name(let name) = p.next()?.kind else { throw p.error("expected a macro name") }
            let parameters = try p.parseParameters()
            try p.expectEnd()
            let (body, end) = try parseBlock(until: ["endmacro"])
            guard end != nil else { throw p.error("missing endmacro") }
            return .macro(name: name, parameters: parameters, body: body)
        case "call":
            var parameters: [(String, JinjaExpr?)] = []
            if p.peekIs(op: "(") { parameters = try p.parseParameters() }
            let call = try p.parseExpression()
            try p.expectEnd()
            let (body, end) = try parseBlock(until: ["endcall"])
            guard end != nil else { throw p.error("missing endcall") }
            return .callBlock(call: call, parameters: parameters, body: body, line: line, column: column)
        case "filter":
            var filters = [try p.parseFilterCall()]
            while p.skip(op: "|") { filters.append(try p.parseFilterCall()) }
            try p.expectEnd()
            let (body, end) = try parseBlock(until: ["endfilter"])
            guard end != nil else { throw p.error("missing endfilter") }
            return .filterBlock(filters: filters, body: body, line: line, column: column)
        case "generation":
            try p.expectEnd()
            let (body, end) = try parseBlock(until: ["endgeneration"])
            guard end != nil else { throw p.error("missing endgeneration") }
            return .ifBlock([(.literal(.bool(true)), body)], otherwise: [])
        case "break":
            try p.expectEnd()
            return .breakLoop
        case "continue":
            try p.expectEnd()
            return .continueLoop
        default:
            throw p.error("unknown statement '\(keyword)'")
        }
    }
}

/// Expressions from the tokens of one tag.
///
/// Every level of recursion, and every link of a left-nested chain (`a + b + c`, `x|f|g`,
/// `a.b.c`), counts one against `maxDepth`, which bounds the depth of the tree built and so
/// the recursion of whatever walks it later.
struct ExprParser {
    let tokens: [JinjaToken]
    let line: Int
    let column: Int
    let maxDepth: Int
    var index = 0
    private var depth = 0

    init(tokens: [JinjaToken], line: Int, column: Int, maxDepth: Int = JinjaLimits.default.maxDepth) {
        self.tokens = tokens
        self.line = line
        self.column = column
        self.maxDepth = maxDepth
    }

    /// One level deeper; the caller restores `depth` when it returns.
    private mutating func descend() throws {
        depth += 1
        guard depth <= maxDepth else {
            let t = index < tokens.count ? tokens[index] : tokens.last
            throw JinjaError(kind: .limit, message: "expression nests deeper than \(maxDepth) levels", line: t?.line ?? line, column: t?.column ?? column)
        }
    }

    func error(_ message: String) -> JinjaError {
        let t = index < tokens.count ? tokens[index] : tokens.last
        return JinjaError(kind: .syntax, message: message, line: t?.line ?? line, column: t?.column ?? column)
    }

    var current: JinjaToken? { index < tokens.count ? tokens[index] : nil }

    mutating func next() -> JinjaToken? {
        defer { index += 1 }
        return current
    }

    func peekIs(op: String) -> Bool { current?.kind == .op(op) }
    func peekIs(name: String) -> Bool { current?.kind == .name(name) }

    mutating func skip(op: String) -> Bool {
        guard peekIs(op: op) else { return false }
        index += 1
        return true
    }

    mutating func skip(name: String) -> Bool {
        guard peekIs(name: name) else { return false }
        index += 1
        return true
    }

    mutating func expect(op: String) throws {
        guard skip(op: op) else { throw error("expected '\(op)'") }
    }

    func expectEnd() throws {
        guard index >= tokens.count else { throw error("unexpected token") }
    }

    // MARK: - Expressions

    mutating func parseTuple(withConditional: Bool) throws -> JinjaExpr {
        let first = withConditional ? try parseExpression() : try parseOr()
        guard peekIs(op: ",") else { return first }
        var items = [first]
        while skip(op: ",") {
            if current == nil || peekIs(name: "if") { break }
            items.append(withConditional ? try parseExpression() : try parseOr())
        }
        return .tuple(items)
    }

    mutating func parseExpression() throws -> JinjaExpr {
        let entry = depth
        defer { depth = entry }
        try descend()
        var expr = try parseOr()
        while skip(name: "if") {
            try descend()
            let condition = try parseOr()
            let otherwise = skip(name: "else") ? try parseExpression() : nil
            expr = .conditional(then: expr, condition: condition, otherwise: otherwise)
        }
        return expr
    }

    mutating func parseOr() throws -> JinjaExpr {
        var left = try parseAnd()
        let entry = depth
        defer { depth = entry }
        while skip(name: "or") {
            try descend()
            left = .binary("or", left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws -> JinjaExpr {
        var left = try parseNot()
        let entry = depth
        defer { depth = entry }
        while skip(name: "and") {
            try descend()
            left = .binary("and", left, try parseNot())
        }
        return left
    }

    mutating func parseNot() throws -> JinjaExpr {
        if skip(name: "not") {
            let entry = depth
            defer { depth = entry }
            try descend()
            return .unary("not", try parseNot())
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> JinjaExpr {
        let entry = depth
        defer { depth = entry }
        var left = try parseMath1()
        while true {
            if case .op(let op)? = current?.kind, ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                try descend()
                index += 1
                left = .binary(op, left, try parseMath1())
            } else if skip(name: "in") {
                try descend()
                left = .binary("in", left, try parseMath1())
            } else if peekIs(name: "not"), index + 1 < tokens.count, tokens[index + 1].kind == .name("in") {
                try descend()
                index += 2
                left = .binary("not in", left, try parseMath1())
            } else {
                return left
            }
        }
    }

    mutating func parseMath1() throws -> JinjaExpr {
        let entry = depth
        defer { depth = entry }
        var left = try parseConcat()
        while case .op(let op)? = current?.kind, op == "+" || op == "-" {
            try descend()
            index += 1
            left = .binary(op, left, try parseConcat())
        }
        return left
    }

    mutating func parseConcat() throws -> JinjaExpr {
        var left = try parseMath2()
        let entry = depth
        defer { depth = entry }
        while skip(op: "~") {
            try descend()
            left = .binary("~", left, try parseMath2())
        }
        return left
    }

    mutating func parseMath2() throws -> JinjaExpr {
        let entry = depth
        defer { depth = entry }
        var left = try parsePow()
        while case .op(let op)? = current?.kind, ["*", "/", "//", "%"].contains(op) {
            try descend()
            index += 1
            left = .binary(op, left, try parsePow())
        }
        return left
    }

    mutating func parsePow() throws -> JinjaExpr {
        var left = try parseUnary(withFilter: true)
        let entry = depth
        defer { depth = entry }
        while skip(op: "**") {
            try descend()
            left = .binary("**", left, try parseUnary(withFilter: true))
        }
        return left
    }

    mutating func parseUnary(withFilter: Bool) throws -> JinjaExpr {
        let entry = depth
        defer { depth = entry }
        try descend()
        var node: JinjaExpr
        if skip(op: "-") {
            node = .unary("-", try parseUnary(withFilter: false))
        } else if skip(op: "+") {
            node = .unary("+", try parseUnary(withFilter: false))
        } else {
            node = try parsePostfix(try parsePrimary())
        }
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }

    mutating func parsePrimary() throws -> JinjaExpr {
        guard let token = next() else { throw error("expected an expression") }
        switch token.kind {
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .string(var s):
            while case .string(let more)? = current?.kind { s += more; index += 1 }
            return .literal(.string(s))
        case .int(let i): return .literal(.int(i))
        case .double(let d): return .literal(.double(d))
        case .op("("):
            if skip(op: ")") { return .tuple([]) }
            let inner = try parseTuple(withConditional: true)
            try expect(op: ")")
            return inner
        case .op("["):
            var items: [JinjaExpr] = []
            while !skip(op: "]") {
                items.append(try parseExpression())
                if !skip(op: ",") { try expect(op: "]"); break }
            }
            return .list(items)
        case .op("{"):
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while !skip(op: "}") {
                let key = try parseExpression()
                try expect(op: ":")
                pairs.append((key, try parseExpression()))
                if !skip(op: ",") { try expect(op: "}"); break }
            }
            return .dict(pairs)
        default:
            index -= 1
            throw error("unexpected token")
        }
    }

    mutating func parsePostfix(_ start: JinjaExpr) throws -> JinjaExpr {
        let entry = depth
        defer { depth = entry }
        var node = start
        while true {
            if peekIs(op: ".") || peekIs(op: "[") || peekIs(op: "(") { try descend() }
            if skip(op: ".") {
                guard let t = next() else { throw error("expected an attribute") }
                switch t.kind {
                case .name(let n): node = .attribute(node, n)
                case .int(let i): node = .index(node, .literal(.int(i)))
                default: throw error("expected an attribute name")
                }
            } else if skip(op: "[") {
                node = try parseSubscript(node)
            } else if peekIs(op: "(") {
                let (args, kwargs) = try parseArguments()
                node = .call(node, args, kwargs)
            } else {
                return node
            }
        }
    }

    mutating func parseSubscript(_ target: JinjaExpr) throws -> JinjaExpr {
        var parts: [JinjaExpr?] = [nil]
        var isSlice = false
        while !skip(op: "]") {
            if skip(op: ":") {
                isSlice = true
                parts.append(nil)
                continue
            }
            parts[parts.count - 1] = try parseExpression()
        }
        guard isSlice else {
            guard let index = parts[0] else { throw error("empty subscript") }
            return .index(target, index)
        }
        while parts.count < 3 { parts.append(nil) }
        return .slice(target, parts[0], parts[1], parts[2])
    }

    mutating func parseArguments() throws -> ([JinjaExpr], [(String, JinjaExpr)]) {
        try expect(op: "(")
        var args: [JinjaExpr] = []
        var kwargs: [(String, JinjaExpr)] = []
        while !skip(op: ")") {
            if case .name(let n)? = current?.kind, index + 1 < tokens.count, tokens[index + 1].kind == .op("=") {
                index += 2
                kwargs.append((n, try parseExpression()))
            } else {
                args.append(try parseExpression())
            }
            if !skip(op: ",") { try expect(op: ")"); break }
        }
        return (args, kwargs)
    }

    mutating func parseFilterExpression(_ start: JinjaExpr) throws -> JinjaExpr {
        let entry = depth
        defer { depth = entry }
        var node = start
        while true {
            if peekIs(op: "|") || peekIs(name: "is") || peekIs(op: "(") { try descend() }
            if skip(op: "|") {
                let (name, args, kwargs) = try parseFilterCall()
                node = .filter(node, name, args, kwargs)
            } else if skip(name: "is") {
                let negated = skip(name: "not")
                guard case .name(var name)? = next()?.kind else { throw error("expected a test name") }
                while skip(op: ".") { if case .name(let more)? = next()?.kind { name += "." + more } }
                var args: [JinjaExpr] = []
                if peekIs(op: "(") {
                    args = try parseArguments().0
                } else if let t = current, !peekIs(name: "else"), !peekIs(name: "or"), !peekIs(name: "and"), !peekIs(name: "if") {
                    switch t.kind {
                    case .name, .string, .int, .double, .op("["), .op("{"):
                        args = [try parsePostfix(try parsePrimary())]
                    default: break
                    }
                }
                node = .test(node, name, args, negated: negated)
            } else if peekIs(op: "(") {
                let (args, kwargs) = try parseArguments()
                node = .call(node, args, kwargs)
            } else {
                return node
            }
        }
    }

    mutating func parseFilterCall() throws -> (String, [JinjaExpr], [(String, JinjaExpr)]) {
        guard case .name(var name)? = next()?.kind else { throw error("expected a filter name") }
        while skip(op: ".") { if case .name(let more)? = next()?.kind { name += "." + more } }
        if peekIs(op: "(") {
            let (args, kwargs) = try parseArguments()
            return (name, args, kwargs)
        }
        return (name, [], [])
    }

    /// `(a, b=default, …)` of a macro or call block.
    mutating func parseParameters() throws -> [(String, JinjaExpr?)] {
        try expect(op: "(")
        var parameters: [(String, JinjaExpr?)] = []
        while !skip(op: ")") {
            guard case .name(let n)? = next()?.kind else { throw error("expected a parameter name") }
            parameters.append((n, skip(op: "=") ? try parseExpression() : nil))
            if !skip(op: ",") { try expect(op: ")"); break }
        }
        return parameters
    }
}
