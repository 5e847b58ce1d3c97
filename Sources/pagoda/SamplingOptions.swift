import ArgumentParser
import PagodaEngine

/// Sampling flags, named as llama.cpp names them.
struct SamplingOptions: ParsableArguments {
    // Numbers that may be negative are parsed unconditionally, so `--temp -1` is a value,
    // not a flag.
    @Option(name: .customLong("temp"), parsing: .unconditional, help: "Temperature; 0 or less picks the most likely token.")
    var temperature: Float = 0.8

    @Option(name: .customLong("top-k"), help: "Keep the K most likely tokens (0: all).")
    var topK = 40

    @Option(name: .customLong("top-p"), help: "Keep the smallest set of tokens with this much probability.")
    var topP: Float = 0.95

    @Option(name: .customLong("min-p"), help: "Drop tokens less likely than this fraction of the best.")
    var minP: Float = 0.05

    @Option(name: .customLong("repeat-penalty"), help: "Penalty for recently seen tokens (1: off).")
    var repeatPenalty: Float = 1

    @Option(name: .customLong("repeat-last-n"), help: "How many recent tokens the penalties look at.")
    var repeatLastN = 64

    @Option(name: .customLong("presence-penalty"), parsing: .unconditional, help: "Subtracted from the logits of seen tokens.")
    var presencePenalty: Float = 0

    @Option(name: .customLong("frequency-penalty"), parsing: .unconditional, help: "Subtracted per occurrence of seen tokens.")
    var frequencyPenalty: Float = 0

    @Option(parsing: .unconditional, help: "Random seed: the same seed gives the same reply (default, or -1: a new one each run).")
    var seed: Int64?

    func validate() throws {
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 or more") }
        guard (0...1).contains(topP) else { throw ValidationError("--top-p must be between 0 and 1") }
        guard (0...1).contains(minP) else { throw ValidationError("--min-p must be between 0 and 1") }
        guard repeatPenalty > 0 else { throw ValidationError("--repeat-penalty must be positive") }
    }

    /// The sampling parameters; without `--seed` (or with -1), each evaluation draws a new
    /// seed, so take it once per run.
    var parameters: SamplingParameters {
        var p = SamplingParameters()
        p.temperature = temperature
        p.topK = topK
        p.topP = topP
        p.minP = minP
        p.repeatPenalty = repeatPenalty
        p.penaltyWindow = repeatLastN
        p.presencePenalty = presencePenalty
        p.frequencyPenalty = frequencyPenalty
        // The seed given, or a new one for this run (the chat's /show shows it).
        p.seed = seed.flatMap { $0 >= 0 ? UInt64($0) : nil } ?? UInt64.random(in: 0...UInt64(UInt32.max))
        return p
    }
}

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
