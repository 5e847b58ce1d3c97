import Foundation

/// System prompts and personas kept as plain text files (`NAME.txt`) in a `prompts/`
/// folder, loaded by name. Looked for in `$PAGODA_PROMPTS`, then `./prompts`, then the
/// `prompts/` of the source tree the executable was built in. None is applied unless the
/// user asks: with no system prompt, a model's chat template uses its own default. The
/// SmolLM persona is also built in (llama.cpp's reference logits were made with it).
public struct PromptLibrary: Sendable {
    public static let smolLMName = "smollm"
    public static let smolLMPersona = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

    public let folders: [URL]

    public init(folders: [URL]) {
        self.folders = folders
    }

    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> PromptLibrary {
        var folders: [URL] = []
        if let custom = environment["PAGODA_PROMPTS"], !custom.isEmpty { folders.append(URL(fileURLWithPath: custom)) }
        folders.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("prompts"))
        // .build/<config>/pagoda → the package root's prompts/.
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            folders.append(folder.appendingPathComponent("prompts"))
        }
        return PromptLibrary(folders: folders)
    }

    /// Names of the prompts found, sorted.
    public var names: [String] {
        var found = Set([Self.smolLMName])
        for folder in folders {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for file in files where file.hasSuffix(".txt") { found.insert(String(file.dropLast(4))) }
        }
        return found.sorted()
    }

    /// The text of prompt `name`, trailing newlines removed.
    public func prompt(named name: String) throws -> String {
        guard !name.contains("/"), !name.isEmpty else { throw PromptError.badName(name) }
        for folder in folders {
            let url = folder.appendingPathComponent(name + ".txt")
            if let text = try? String(contentsOf: url, encoding: .utf8) {
                return text.trimmingCharacters(in: .newlines)
            }
        }
        if name == Self.smolLMName { return Self.smolLMPersona }
        throw PromptError.notFound(name, available: names)
    }
}

public enum PromptError: Error, Equatable, CustomStringConvertible {
    case notFound(String, available: [String])
    case badName(String)

    public var description: String {
        switch self {
        case .notFound(let name, let available): "no system prompt named '\(name)' (available: \(available.joined(separator: ", ")))"
        case .badName(let name): "'\(name)' is not a prompt name"
        }
    }
}
