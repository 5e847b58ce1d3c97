import ArgumentParser
import PagodaEngine

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Fetch a known model into the model cache ($PAGODA_HOME or ~/.cache/pagoda).",
        discussion: "Models: " + KnownModel.all.map(\.name).joined(separator: ", ") + ". The default is \(KnownModel.default.name)."
    )

    @Argument(help: "The model to fetch.")
    var name: String = KnownModel.default.name

    @Flag(help: "List the known models and whether each is in the cache.")
    var list = false

    func run() throws {
        try reportingErrors {
            if list {
                let store = ModelStore.fromEnvironment()
                for model in KnownModel.all {
                    let state = store.isPresent(model) ? "cached" : store.hasExpectedSize(model) ? "present, checked on first use" : "not fetched"
                    print("\(model.name)  \(model.summary)  [\(state)]")
                }
                return
            }
            guard let model = KnownModel.named(name) else {
                throw ValidationError("unknown model '\(name)'; known models: \(KnownModel.all.map(\.name).joined(separator: ", "))")
            }
            let path = try Terminal.pull(model)
            print(path.path)
        }
    }
}
