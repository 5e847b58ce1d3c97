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
