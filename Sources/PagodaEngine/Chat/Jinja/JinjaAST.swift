/// The parsed form of a template.
indirect enum JinjaExpr: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpr])
    case tuple([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    case attribute(JinjaExpr, String)
    case index(JinjaExpr, JinjaExpr)
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
    case call(JinjaExpr, [JinjaExpr], [(String, JinjaExpr)])
    case filter(JinjaExpr, String, [JinjaExpr], [(String, JinjaExpr)])
    case test(JinjaExpr, String, [JinjaExpr], negated: Bool)
    case unary(String, JinjaExpr)
    case binary(String, JinjaExpr, JinjaExpr)
    case conditional(then: JinjaExpr, condition: JinjaExpr, otherwise: JinjaExpr?)
}

indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr, line: Int, column: Int)
    case ifBlock([(JinjaExpr, [JinjaNode])], otherwise: [JinjaNode])
    case forBlock(targets: [String], iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode], line: Int, column: Int)
    case set(targets: [String], attribute: String?, value: JinjaExpr, line: Int, column: Int)
    case setBlock(name: String, body: [JinjaNode], filters: [(String, [JinjaExpr], [(String, JinjaExpr)])])
    case macro(name: String, parameters: [(String, JinjaExpr?)], body: [JinjaNode])
    case callBlock(call: JinjaExpr, parameters: [(String, JinjaExpr?)], body: [JinjaNode], line: Int, column: Int)
    case filterBlock(filters: [(String, [JinjaExpr], [(String, JinjaExpr)])], body: [JinjaNode], line: Int, column: Int)
    case breakLoop
    case continueLoop
}
