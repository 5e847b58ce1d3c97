import ArgumentParser
import Foundation
import PagodaEngine

/// `--model PATH`, shared by every command that loads a model. Without it the default model
/// is taken from the model cache, fetched first if needed.
struct ModelOptions: ParsableArguments {
    @Option(name: [.customShort("m"), .long], help: "Path to a GGUF file, or the name of a known model (see `pagoda pull --list`).")
    var model: String?

    init() {}

    init(model: String?) {
        self.model = model
    }

    /// The GGUF path to load: `--model` as given, a known model's cached file (pulled if
    /// missing), or the default model.
    func resolve() throws -> String {
        if let model, KnownModel.named(model) == nil || FileManager.default.fileExists(atPath: model) {
            return model
        }
        let known = model.flatMap(KnownModel.named) ?? .default
        return try Terminal.pull(known).path
    }
}

extension ModelOptions {
    /// The engine for a command that prints to stderr: the model loaded with the cache
    /// flags and `chatTemplate`, a load failure said in one line (exit 1), and the
    /// template's warning, if any, printed.
    func loadEngine(_ cache: CacheOptions, chatTemplate: String?) throws -> Engine {
        let engine = try reportingErrors {
            var options = try cache.engineOptions()
            options.chatTemplate = chatTemplate
            return try Engine(path: try resolve(), options: options)
        }
        if let warning = engine.templateWarning { Terminal.printError("pagoda: \(warning)") }
        return engine
    }
}
