import ArgumentParser
import Foundation
import PagodaEngine

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Print a chat template rendered for a conversation, byte for byte."
    )

    @Option(name: [.customShort("m"), .long], help: "A GGUF whose tokenizer.chat_template to use (a path or a known model name).")
    var model: String?

    @Option(help: "A Jinja template file.")
    var template: String?

    @Option(help: "A JSON file: a list of {role, content} objects.")
    var messages: String

    @Flag(name: .customLong("add-generation-prompt"), help: "End with the start of the assistant's turn.")
    var addGenerationPrompt = false

    @Option(help: "The bos_token text (default: the model's, or empty).")
    var bos: String?

    @Option(help: "The eos_token text (default: the model's, or empty).")
    var eos: String?

    func validate() throws {
        guard (model == nil) != (template == nil) else { throw ValidationError("give exactly one of --model and --template") }
    }

    func run() throws {
        try reportingErrors {
            var source: String
            var bosText = "", eosText = ""
            if let template {
                source = try String(contentsOfFile: template, encoding: .utf8)
            } else {
                let path = try ModelOptions(model: model).resolve()
                let file = try GGUFFile(path: path)
                source = try file.metadata.string("tokenizer.chat_template")
                let vocabulary = try Vocabulary(metadata: file.metadata)
                bosText = vocabulary.bos.map { vocabulary.tokens[Int($0)] } ?? ""
                eosText = vocabulary.eos.map { vocabulary.tokens[Int($0)] } ?? ""
            }
            let origin = template ?? "the model's chat template"
            let list: JinjaValue
            do { list = try JinjaChatTemplate.messages(fromJSON: String(contentsOfFile: messages, encoding: .utf8)) } catch {
                throw ValidationError("\(messages): \(error)")
            }
            do {
                let chat = try JinjaChatTemplate(source: source, bosToken: bos ?? bosText, eosToken: eos ?? eosText)
                FileHandle.standardOutput.write(Data(try chat.render(messages: list, addGenerationPrompt: addGenerationPrompt).utf8))
            } catch let error as JinjaError {
                throw ValidationError("\(origin): \(error)")
            }
        }
    }
}
