/// Qwen2 and Qwen2.5: the llama block with q/k/v biases and RoPE on the two halves of each
/// head (GPT-NeoX pairing).
enum Qwen2Family: ModelFamily {
    static let architectures = ["qwen2"]

    static func traits(_ m: GGUFMetadata, key: (String) -> String) throws -> FamilyTraits {
        var t = FamilyTraits()
        t.ropePairing = .halves
        return t
    }
}
