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

    /// `gate = act(gate) ⊙ up` for the family's activation.
    static func gated(_ activation: FamilyTraits.Activation, _ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, n: Int) {
        switch activation {
        case .silu: swiGLU(gate, up, n: n)
        case .geluTanh: geGLU(gate, up, n: n)
        }
    }

    /// `gate = gelu(gate) ⊙ up` with `gelu(g) = g/2 · (1 + tanh(√(2/π) · (g + 0.044715 g³)))`,
    /// the tanh approximation Gemma uses.
    static func geGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, n: Int) {
        let c: Float = 0.797_884_56  // √(2/π)
        for i in 0..<n {
            let g = gate[i]
            gate[i] = 0.5 * g * (1 + tanhf(c * (g + 0.044715 * g * g * g))) * up[i]
        }
    }

    /// RMSNorm of each of `count` vectors of `n` elements in place, with one weight vector.
    static func rmsNormEach(_ x: UnsafeMutablePointer<Float>, count: Int, n: Int, weight: [Float], epsilon: Float) {
        for h in 0..<count { rmsNorm(x + h * n, weight: weight, epsilon: epsilon, n: n, into: x + h * n) }
    }

    /// `x *= factor` over `n` elements.
    static func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, n: Int) {
        for i in 0..<n { x[i] *= factor }
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
