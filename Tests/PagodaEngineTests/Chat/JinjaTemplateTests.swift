import XCTest
@testable import PagodaEngine

/// Jinja semantics chat templates depend on, one at a time.
final class JinjaTemplateTests: XCTestCase {
    func render(_ source: String, _ variables: [String: JinjaValue] = [:]) throws -> String {
        try JinjaTemplate(source).render(variables)
    }

    func testWhitespaceControlTrimAndLstripBlocks() throws {
        XCTAssertEqual(try render("a\n  {% if true %}\n  b\n  {% endif %}\nc"), "a\n  b\nc")
        XCTAssertEqual(try render("a  {%- if true -%}  b  {%- endif %}"), "ab")
        XCTAssertEqual(try render("x {{ 1 }} y\n"), "x 1 y", "one trailing newline is dropped")
        XCTAssertEqual(try render("{# note #}\nz"), "z")
    }

    func testLoopsScopesAndNamespaces() throws {
        let out = try render("""
        {% set total = 0 %}{% set ns = namespace(n=0) %}{% for x in [1, 2, 3] if x != 2 %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% set total = total + x %}{% set ns.n = ns.n + x %}{% endfor %} {{ total }} {{ ns.n }}
        """)
        XCTAssertEqual(out, "1:1,2:3 0 4", "set in a loop stays in the loop; namespaces carry out")
        XCTAssertEqual(try render("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty")
        XCTAssertEqual(try render("{% for x in range(5) %}{% if x == 3 %}{% break %}{% endif %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}"), "02")
        XCTAssertEqual(try render("{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }};{% endfor %}"), "b=1;a=2;")
    }

    func testMacrosAndCallBlocks() throws {
        XCTAssertEqual(try render("{% macro tag(name, cls='x') %}<{{ name }} {{ cls }}>{% endmacro %}{{ tag('a') }}{{ tag('b', cls='y') }}"), "<a x><b y>")
        XCTAssertEqual(try render("{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}in{% endcall %}"), "[in]")
    }

    func testExpressionsFiltersTestsAndMethods() throws {
        let messages = JinjaValue.list([
            .dict(JinjaDict([("role", .string("system")), ("content", .string("  S  "))])),
            .dict(JinjaDict([("role", .string("user")), ("content", .string("hi"))])),
        ])
        XCTAssertEqual(try render("{{ messages[0].content | trim }}|{{ messages | length }}|{{ messages[-1]['role'] }}", ["messages": messages]), "S|2|user")
        XCTAssertEqual(try render("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}", ["messages": messages]), "hi")
        XCTAssertEqual(try render("{{ 'a,b'.split(',') }} {{ 'abc'[::-1] }} {{ 7 // 2 }} {{ 7 / 2 }} {{ 'x' ~ 1 }}"), "['a', 'b'] cba 3 3.5 x1")
        XCTAssertEqual(try render("{{ undefined_thing is defined }} {{ none is none }} {{ 'ab' is string }} {{ 3 is not divisibleby 2 }}"), "False True True True")
        XCTAssertEqual(try render("{{ {'a': [1, 2.5, none, true, 'é']} | tojson }}"), #"{"a": [1, 2.5, null, true, "é"]}"#)
        XCTAssertEqual(try render("{{ 'yes' if 1 > 2 else 'no' }}{{ missing | default('d') }}{{ [3,1,2] | sort | first }}"), "nod1")
        XCTAssertEqual(try render("{{ strftime_now('%Y-%m-%d') | length }}"), "10")
    }

    func testErrorsNameTheirPlace() {
        XCTAssertThrowsError(try JinjaTemplate("line one\n{% if x %}\n{{ 1 + }}\n{% endif %}")) { error in
            guard let e = error as? JinjaError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .syntax)
            XCTAssertEqual(e.line, 3)
        }
        XCTAssertThrowsError(try JinjaTemplate("{% for x in y %}no end")) { error in
            XCTAssertTrue("\(error)".contains("endfor"), "\(error)")
        }
        XCTAssertThrowsError(try render("{{ raise_exception('Only user and assistant roles') }}")) { error in
            XCTAssertEqual((error as? JinjaError)?.kind, .raised)
            XCTAssertEqual("\(error)", "Only user and assistant roles")
        }
        XCTAssertThrowsError(try render("{% set xs = [] %}{{ xs.append(1) }}"), "the sandbox forbids changing lists")
    }

    func testBrokenModelTemplateFallsBackToChatML() throws {
        var m = GGUFMetadata(source: "t.gguf")
        m.set("tokenizer.ggml.model", .string("gpt2"))
        m.set("tokenizer.ggml.tokens", .array(.string, [.string("a")]))
        m.set("tokenizer.ggml.merges", .array(.string, []))
        m.set("tokenizer.chat_template", .string("{% for m in messages %}{{ m.content }"))
        let (template, warning) = Engine.modelTemplate(m, try Vocabulary(metadata: m))
        XCTAssertEqual(template.name, "chatml")
        XCTAssertTrue(warning?.contains("does not parse") ?? false, warning ?? "")
    }
}
