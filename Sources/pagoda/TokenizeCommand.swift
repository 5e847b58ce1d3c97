import ArgumentParser
import Foundation
import PagodaEngine

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text, space-separated, on one line."
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The text to tokenize.")
    var text: String?

    @Option(help: "A file whose bytes, exactly, are the text.")
    var file: String?

    @Flag(help: "Let special-token text (like <|im_start|>) stand for those tokens.")
    var special = false

    @Flag(help: "Put the model's BOS token first.")
    var bos = false

    func validate() throws {
        guard (text == nil) != (file == nil) else { throw ValidationError("give exactly one of --text and --file") }
    }

    func run() throws {
        try reportingErrors {
            let input: String
            if let text {
                input = text
            } else {
                let data = try Data(contentsOf: URL(fileURLWithPath: file!))
                input = String(decoding: data, as: UTF8.self)
            }
            let gguf = try GGUFFile(path: try modelOptions.resolve())
            let tokenizer = try Tokenizer(metadata: gguf.metadata)
            var ids = tokenizer.encode(input, addSpecial: false, parseSpecial: special)
            if bos, let b = tokenizer.vocabulary.bos { ids.insert(b, at: 0) }
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
