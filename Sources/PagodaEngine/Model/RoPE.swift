import Foundation

/// Rotary position embedding: rotates pairs of each head's dimensions by angles
/// `θ_i = position · base^(−2i / n_rot)` (divided by a per-frequency factor where the model
/// has them). Pairs are `(2i, 2i+1)` for llama (`adjacent`) and `(i, i + n_rot/2)` for the
/// qwen and gemma families (`halves`, GPT-NeoX style), as the family says.
struct RoPE {
    let pairing: FamilyTraits.RopePairing
    let headDimension: Int
    let rotatedDimensions: Int
    /// `base^(−2i / n_rot) / factor_i` for i in 0..<n_rot/2.
    let inverseFrequencies: [Float]
    let positionScale: Float

    /// The model's RoPE, or with `slidingBase` the sliding layers' (that base, no position
    /// scaling, no frequency factors).
    init(config: ModelConfig, frequencyFactors: [Float]?, slidingBase: Float? = nil) {
        pairing = config.family.ropePairing
        headDimension = config.headDimension
        rotatedDimensions = config.ropeDimensionCount
        let half = config.ropeDimensionCount / 2
        let base = Double(slidingBase ?? config.ropeBase)
        let factors = slidingBase == nil ? frequencyFactors : nil
        inverseFrequencies = (0..<half).map { i in
            let f = pow(base, -2 * Double(i) / Double(config.ropeDimensionCount))
            return Float(f / Double(factors?[i] ?? 1))
        }
        switch (config.ropeScaling, slidingBase) {
        case (.none, _), (_, .some): positionScale = 1
        case (.linear(let factor), nil): positionScale = 1 / factor
        }
    }

    /// Rotates `heads` vectors of `headDimension` at `x` for `position`.
    func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, position: Int) {
        let p = Double(Float(position) * positionScale)
        let half = rotatedDimensions / 2
        for i in 0..<half {
            let angle = p * Double(inverseFrequencies[i])
            let c = Float(cos(angle)), s = Float(sin(angle))
            let (a, b) = pairing == .adjacent ? (2 * i, 2 * i + 1) : (i, i + half)
            for h in 0..<heads {
                let v = x + h * headDimension
                let x0 = v[a], x1 = v[b]
                v[a] = x0 * c - x1 * s
                v[b] = x0 * s + x1 * c
            }
        }
    }
}
