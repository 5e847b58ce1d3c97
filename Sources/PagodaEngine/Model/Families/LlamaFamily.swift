/// Llama 1–3 and the files that share its block: SmolLM, TinyLlama, Mistral 7B. Llama 3's
/// RoPE frequency scaling comes as the `rope_freqs` tensor (per-frequency divisors, read
/// with the weights). A Mistral file that sets `llama.attention.sliding_window` gets
/// sliding-window attention on every layer.
enum LlamaFamily: ModelFamily {
    static let architectures = ["llama"]

    static func traits(_ m: GGUFMetadata, key: (String) -> String) throws -> FamilyTraits {
        var t = FamilyTraits()
        t.slidingWindow = try slidingWindow(m, key: key)
        return t
    }

    /// `{arch}.attention.sliding_window` if set: a positive token count (0 means none).
    static func slidingWindow(_ m: GGUFMetadata, key: (String) -> String) throws -> Int? {
        guard m.contains(key("attention.sliding_window")) else { return nil }
        let window = try m.int(key("attention.sliding_window"))
        guard window >= 0 else {
            throw GGUFError(file: m.source, field: "metadata '\(key("attention.sliding_window"))'", problem: "must not be negative, is \(window)")
        }
        return window == 0 ? nil : window
    }
}
