/// Qwen3: Qwen2's block without the q/k/v biases and with an RMSNorm of every query and key
/// head before RoPE; its head size is given (`key_length`), not d_model / heads.
enum Qwen3Family: ModelFamily {
    static let architectures = ["qwen3"]

    static func traits(_ m: GGUFMetadata, key: (String) -> String) throws -> FamilyTraits {
        var t = FamilyTraits()
        t.ropePairing = .halves
        t.queryKeyNorm = true
        return t
    }
}
