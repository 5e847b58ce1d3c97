import Foundation
import XCTest
@testable import PagodaEngine

/// Hostile templates (a model file's chat template is untrusted code): each one ends in a
/// `JinjaError` naming the bound it hit, in bounded time and memory, never a crash, a hang
/// or gigabytes of memory.
final class JinjaLimitsTests: XCTestCase {
    /// Templates that must fail, with a word the error must contain.
    static let hostile: [(name: String, source: String, mentions: String)] = [
        ("macro self-recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "nests deeper"),
        ("mutual macro recursion", "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}", "nests deeper"),
        ("10k nested ifs", String(repeating: "{% if true %}", count: 10_000) + "x" + String(repeating: "{% endif %}", count: 10_000), "nest deeper"),
        ("20k nested parentheses", "{{ " + String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000) + " }}", "nests deeper"),
        ("20k nested lists", "{{ " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + " }}", "nests deeper"),
        ("100k chained filters", "{{ 'a'" + String(repeating: "|upper", count: 100_000) + " }}", "nests deeper"),
        ("100k chained additions", "{{ 0" + String(repeating: " + 1", count: 100_000) + " }}", "nests deeper"),
        ("100k nots", "{{ " + String(repeating: "not ", count: 100_000) + "true }}", "nests deeper"),
        ("100k attribute chain", "{{ x" + String(repeating: ".y", count: 100_000) + " }}", "nests deeper"),
        ("tower of powers", "{{ 10**10**10 }}", "overflow"),
        ("power overflow", "{{ 2 ** 64 }}", "overflow"),
        ("multiplication overflow", "{{ 9223372036854775807 * 2 }}", "overflow"),
        ("negation overflow", "{{ -(-9223372036854775807 - 1) }}", "overflow"),
        ("floor division overflow", "{{ (-9223372036854775807 - 1) // -1 }}", "overflow"),
        ("float too large for int", "{{ 1e300 | int }}", "fits in 64 bits"),
        ("nan to int", "{{ (1e308 * 10 - 1e308 * 10) | int }}", "fits in 64 bits"),
        ("range of 10**9", "{{ range(10**9) | length }}", "range"),
        ("range of a huge number", "{% for i in range(9223372036854775807) %}{% endfor %}", "range"),
        ("range of floats", "{{ range(1e8) | join }}", "integer"),
        ("list multiplication", "{{ ([1] * 10**9) | length }}", "list of"),
        ("string multiplication", "{{ 'x' * 10**10 }}", "string of"),
        ("string doubling", "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}", "string of"),
        ("list doubling", "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}", "list of"),
        ("center 1e9", "{{ 'x' | center(1000000000) }}", "string of"),
        ("indent 1e9", "{{ 'a\nb' | indent(1000000000) }}", "string of"),
        ("tojson indent 1e9", "{{ [[1]] | tojson(indent=1000000000) }}", "JSON"),
        ("replace blow-up", "{{ ('x' * 100000) | replace('x', 'y' * 100000) }}", "string of"),
        ("join blow-up", "{% set s = 'x' * 1000000 %}{{ [s, s, s, s, s, s, s, s, s, s] | join }}", "string of"),
        ("append loop", "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + [i] %}{% endfor %}{{ ns.l | length }}", "steps"),
        ("triple loop of 10^9", "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}", "steps"),
        ("output flood", "{% for a in range(100000) %}{% for b in range(100) %}{{ 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }}{% endfor %}{% endfor %}", "rendered text"),
        ("deep value by loop", "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}", "nests"),
        ("namespace chain", "{% set ns = namespace(h=none) %}{% for i in range(100000) %}{% set ns.h = namespace(next=ns.h) %}{% endfor %}", "nests"),
        ("shared list printed", "{% set s = 'x' * 1000000 %}{{ [s] * 1000 }}", "longer than"),
        ("shared list as JSON", "{% set s = 'x' * 1000000 %}{{ ([s] * 1000) | tojson }}", "longer than"),
        ("unhashable key", "{{ {[1]: 2} }}", "unhashable"),
        // Lists share their items: three levels of a thousand stand for 10^9 values.
        ("comparing shared lists", "{% set a = [[[0] * 1000] * 1000] * 1000 %}{% set b = [[[0] * 1000] * 1000] * 1000 %}{{ a == b }}", "steps"),
        ("wrapping shared lists", "{% set a = [[[0] * 1000] * 1000] * 1000 %}{{ [a] | length }}", "steps"),
        ("sorting shared lists", "{% set a = [[[0] * 1000] * 1000] * 1000 %}{{ [a, a, a] | sort | length }}", "steps"),
    ]

    func testEveryHostileTemplateFailsWithItsBoundQuickly() throws {
        var slowest = (name: "", seconds: 0.0)
        for (name, source, mentions) in Self.hostile {
            let start = Date()
            do {
                let out = try JinjaTemplate(source).render(["x": .dict(JinjaDict())])
                XCTFail("\(name): rendered \(out.utf8.count) bytes instead of failing")
            } catch let e as JinjaError {
                XCTAssertTrue(e.description.contains(mentions), "\(name): \(e)")
                XCTAssert([.limit, .runtime].contains(e.kind), "\(name): \(e.kind)")
            }
            let seconds = Date().timeIntervalSince(start)
            XCTAssertLessThan(seconds, 10, "\(name) took too long")
            if seconds > slowest.seconds { slowest = (name, seconds) }
        }
        print("hostile templates: \(Self.hostile.count) refused; slowest \(slowest.name) in \(String(format: "%.2f", slowest.seconds)) s; peak RSS \(Self.peakResidentBytes() >> 20) MiB")
        XCTAssertLessThan(Self.peakResidentBytes(), 3 << 30, "the hostile templates together stayed under 3 GiB")
    }

    func testNestingJustInsideTheLimitsStillRenders() throws {
        let limits = JinjaLimits.default
        let ifs = limits.maxDepth - 2
        XCTAssertEqual(try JinjaTemplate(String(repeating: "{% if true %}", count: ifs) + "x" + String(repeating: "{% endif %}", count: ifs)).render([:]), "x")
        XCTAssertEqual(try JinjaTemplate("{{ " + String(repeating: "(", count: 50) + "1" + String(repeating: ")", count: 50) + " }}").render([:]), "1")
        XCTAssertEqual(try JinjaTemplate("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% else %}done{% endif %}{% endmacro %}{{ f(40) }}").render([:]), "done")
        XCTAssertEqual(try JinjaTemplate("{{ range(100000) | length }} {{ 2 ** 62 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }}").render([:]), "100000 4611686018427387904 -4 2 -2")
    }

    func testTinyLimitsAreEnforcedAsSet() throws {
        var limits = JinjaLimits()
        limits.maxOutputBytes = 10
        XCTAssertThrowsError(try JinjaTemplate("{{ 'x' * 11 }}", limits: limits).render([:]))
        XCTAssertEqual(try JinjaTemplate("{{ 'x' * 10 }}", limits: limits).render([:]), "xxxxxxxxxx")
        limits = JinjaLimits()
        limits.maxWork = 1000
        XCTAssertThrowsError(try JinjaTemplate("{% for i in range(2000) %}{% endfor %}", limits: limits).render([:]))
        limits = JinjaLimits()
        limits.maxRange = 10
        XCTAssertThrowsError(try JinjaTemplate("{{ range(11) | list }}", limits: limits).render([:]))
    }

    func testSelfContainingNamespacePrintsWithoutRecursing() throws {
        let out = try JinjaTemplate("{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns }}").render([:])
        XCTAssertEqual(out, "<Namespace a=1, me=...>")
    }

    func testDeeplyNestedJSONMessagesAreRefused() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JinjaChatTemplate.messages(fromJSON: deep)) { error in
            XCTAssert("\(error)".contains("nest deeper"), "\(error)")
        }
    }

    /// The process's peak resident memory (`ru_maxrss`).
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
