import ArgumentParser
import Foundation
import PagodaEngine

/// `--system NAME` or `--system-file F`.
struct SystemPromptOptions: ParsableArguments {
    @Option(help: "A system prompt from prompts/ by name (default: none, so the model's template uses its own).")
    var system: String?

    @Option(name: .customLong("system-file"), help: "A file holding the system prompt.")
    var systemFile: String?

    func validate() throws {
        if system != nil && systemFile != nil { throw ValidationError("give --system or --system-file, not both") }
    }

    func resolve() throws -> String? {
        if let systemFile {
            return try String(contentsOfFile: systemFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        }
        guard let name = system, name != "none" else { return nil }
        return try PromptLibrary.standard().prompt(named: name)
    }
}
