import Foundation
import XCTest
@testable import PagodaEngine

/// Real chat templates from many model families, rendered as Python's jinja2 renders them
/// for transformers (`../shared/fixtures/chat-templates/`): byte for byte, or an error
/// where jinja2 raised one.
final class ChatTemplateFixtureTests: XCTestCase {
    func testEveryCaseRendersLikeJinja2() throws {
        let folder = try SharedFixtures.folder("chat-templates", needs: "cases.jsonl and templates/ rendered with Python's jinja2")
        let lines = try String(contentsOf: folder.appendingPathComponent("cases.jsonl"), encoding: .utf8).split(separator: "\n")
        let pinned = Date(timeIntervalSince1970: 1_768_478_400)  // 2026-01-15 12:00:00 UTC
        var passed = 0, total = 0
        for line in lines {
            guard case .dict(let c) = try JinjaJSON.parse(String(line)), c["_header"] == nil else { continue }
            total += 1
            let file = c["template_file"]!.text
            let source = try String(contentsOf: folder.appendingPathComponent("templates/\(file)"), encoding: .utf8)
            let label = "\(file) \(c["conversation"]?.text ?? "")"
            do {
                var chat = try JinjaChatTemplate(source: source, bosToken: c["bos_token"]!.text, eosToken: c["eos_token"]!.text)
                var template = chat.template
                template.now = { pinned }
                chat = JinjaChatTemplateWith(chat, template)
                let out = try chat.render(messages: c["messages"]!, addGenerationPrompt: c["add_generation_prompt"]!.truthy)
                if let expected = c["expected"], case .string(let text) = expected {
                    if out == text { passed += 1 } else { XCTFail("\(label): rendered differently\n--- expected\n\(text)\n--- got\n\(out)") }
                } else {
                    XCTFail("\(label): rendered, but jinja2 raised \(c["error"]?.text ?? "")")
                }
            } catch {
                if c["error"].map({ !$0.isNone }) ?? false { passed += 1 } else { XCTFail("\(label): \(error)") }
            }
        }
        print("chat templates: \(passed) of \(total) cases match jinja2")
        XCTAssertEqual(passed, total)
    }
}

/// The same chat template with a different (clock-pinned) Jinja template.
private func JinjaChatTemplateWith(_ chat: JinjaChatTemplate, _ template: JinjaTemplate) -> JinjaChatTemplate {
    var copy = chat
    copy.setTemplate(template)
    return copy
}
