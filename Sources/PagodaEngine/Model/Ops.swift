import CKernels
import Foundation

/// The element-wise pieces of the transformer, each on one vector.
enum Ops {
    /// `out = x / √(mean(x²) + ε) ⊙ weight` over `n` elements.
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: [Float], epsilon: Float, n: Int, into out: UnsafeMutablePointer<Float>) {
        var sum: Float = 0
        for i in 0..<n { sum += x[i] * x[i] }
        let scale = 1 / (sum / Float(n) + epsilon).squareRoot()
        weight.withUnsafeBufferPointer { w in
            for i in 0..<n { out[i] = x[i] * scale * w[i] }
        }
    }

    /// `gate = silu(gate) ⊙ up`, where `silu(g) = g / (1 + e^−g)`.
    static func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, n: Int, simd: Bool = KernelSet.current.hasAVX2) {
        if simd { return pagoda_swiglu(gate, up, Int32(n)) }
        for i in 0..<n {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// `x += y` over `n` elements.
    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, n: Int) {
        for i in 0..<n { x[i] += y[i] }
    }

    /// `x += bias` for each of `rows` vectors of `bias.count` elements.
    static func addBias(_ x: UnsafeMutablePointer<Float>, _ bias: [Float], rows: Int) {
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows { add(x + r * b.count, b.baseAddress!, n: b.count) }
        }
    }
}

/// Rotary position embedding: rotates pairs of each head's dimensions by angles
/// `θ_i = position · base^(−2i / n_rot)` (divided by a per-frequency factor where the model
/// has them). Pairs are `(2i, 2i+1)` for llama (`adjacent`) and `(i, i + n_rot/2)` for qwen2
/// (`halves`, GPT-NeoX style).
struct RoPE {
    enum Pairing { case adjacent, halves }

    let pairing: Pairing
    let headDimension: Int
    let rotatedDimensions: Int
    /// `base^(−2i / n_rot) / factor_i` for i in 0..<n_rot/2.
    let inverseFrequencies: [Float]
    let positionScale: Float

    init(config: ModelConfig, frequencyFactors: [Float]?) {
        pairing = config.architecture == "qwen2" ? .halves : .adjacent
        headDimension = config.headDimension
        rotatedDimensions = config.ropeDimensionCount
        let half = config.ropeDimensionCount / 2
        inverseFrequencies = (0..<half).map { i in
            let f = pow(Double(config.ropeBase), -2 * Double(i) / Double(config.ropeDimensionCount))
            return Float(f / Double(frequencyFactors?[i] ?? 1))
        }
        switch config.ropeScaling {
        case .none: positionScale = 1
        case .linear(let factor): positionScale = 1 / factor
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
