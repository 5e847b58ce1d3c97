import ArgumentParser
import PagodaEngine

/// Sampling flags, named as llama.cpp names them; defaults and checks are
/// `SamplingParameters`'.
struct SamplingOptions: ParsableArguments {
    private static let defaults = SamplingParameters()

    // Numbers that may be negative are parsed unconditionally, so `--temp -1` is a value,
    // not a flag.
    @Option(name: .customLong("temp"), parsing: .unconditional, help: "Temperature; 0 or less picks the most likely token.")
    var temperature: Float = defaults.temperature

    @Option(name: .customLong("top-k"), help: "Keep the K most likely tokens (0: all).")
    var topK = defaults.topK

    @Option(name: .customLong("top-p"), help: "Keep the smallest set of tokens with this much probability.")
    var topP: Float = defaults.topP

    @Option(name: .customLong("min-p"), help: "Drop tokens less likely than this fraction of the best.")
    var minP: Float = defaults.minP

    @Option(name: .customLong("repeat-penalty"), help: "Penalty for recently seen tokens (1: off).")
    var repeatPenalty: Float = defaults.repeatPenalty

    @Option(name: .customLong("repeat-last-n"), help: "How many recent tokens the penalties look at.")
    var repeatLastN = defaults.penaltyWindow

    @Option(name: .customLong("presence-penalty"), parsing: .unconditional, help: "Subtracted from the logits of seen tokens.")
    var presencePenalty: Float = defaults.presencePenalty

    @Option(name: .customLong("frequency-penalty"), parsing: .unconditional, help: "Subtracted per occurrence of seen tokens.")
    var frequencyPenalty: Float = defaults.frequencyPenalty

    @Option(parsing: .unconditional, help: "Random seed: the same seed gives the same reply (default, or -1: a new one each run).")
    var seed: Int64?

    func validate() throws {
        if let problem = parameters.problem { throw ValidationError(problem) }
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
