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

    @Flag(help: "One token per line: its id and the text it stands for (escaped; bytes that are not whole characters as \\xNN).")
    var show = false

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
            guard show else { return print(ids.map(String.init).joined(separator: " ")) }
            for id in ids {
                print("\(String(id).padding(toLength: 7, withPad: " ", startingAt: 0)) \(Self.piece(tokenizer.bytes(of: id, special: true)))")
            }
        }
    }

    /// A token's bytes as readable text: quoted, whole characters as themselves (control
    /// characters escaped), a byte that is part of a character split over tokens as `\xNN`.
    static func piece(_ bytes: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let n = utf8SequenceLength(bytes[i])
            if i + n <= bytes.count, let s = String(bytes: bytes[i..<(i + n)], encoding: .utf8) {
                out += UntrustedText.escaped(s, limit: .max)
                i += n
            } else {
                out += String(format: "\\x%02x", bytes[i])
                i += 1
            }
        }
        return "\"" + out + "\""
    }
}
