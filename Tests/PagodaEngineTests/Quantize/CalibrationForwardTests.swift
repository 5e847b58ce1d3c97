import Foundation
import XCTest
@testable import PagodaEngine

/// The calibration forward is the model's exact float function: its attention equals naive
/// causal softmax(q·kᵀ/√d)·v (kernel and scalar twin alike), and layer by layer over whole
/// windows it gives the logits the engine gives with float products.
final class CalibrationForwardTests: XCTestCase {
    let pool = ThreadPool(threads: 2)

    func forward(_ architecture: String, windows: Int, length: Int) throws -> (CalibrationForward, ModelWeights, CalibrationSet, GGUFFile) {
        let file = try TinyModel.make(TinyModel.Shape(architecture: architecture, embedding: 64, feedForward: 96, heads: 4, kvHeads: 2), seed: 5)
        let config = try ModelConfig(metadata: file.metadata)
        let weights = try ModelWeights(file: file, config: config)
        var rng = XorShift32(seed: 8)
        let calibration = CalibrationSet(windows: (0..<windows).map { _ in (0..<length).map { _ in TokenID(rng.nextInt(0..<80)) } })
        return (CalibrationForward(config: config, weights: weights, calibration: calibration, pool: pool), weights, calibration, file)
    }

    func testAttentionEqualsNaiveSoftmaxOverEachWindow() throws {
        for architecture in ["llama", "qwen2"] {
            // 70 queries: one whole slice of 48 and a partial one.
            let (f, weights, _, _) = try forward(architecture, windows: 3, length: 70)
            let c = f.config, hd = c.headDimension, qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd
            let tokens = f.tokenCount, group = c.headCount / c.kvHeadCount
            var rng = XorShift32(seed: 13)
            let q = (0..<(tokens * qDim)).map { _ in rng.nextSigned() * 2 }
            let k = (0..<(tokens * kvDim)).map { _ in rng.nextSigned() * 2 }
            let v = (0..<(tokens * kvDim)).map { _ in rng.nextSigned() }

            // Naive: RoPE by position in the window, then each query's softmax over the keys up to it.
            let rope = RoPE(config: c, frequencyFactors: weights.ropeFrequencyFactors)
            var rq = q, rk = k
            for t in 0..<tokens {
                rq.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress! + t * qDim, heads: c.headCount, position: t % f.windowLength) }
                rk.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress! + t * kvDim, heads: c.kvHeadCount, position: t % f.windowLength) }
            }
            var expected = [Double](repeating: 0, count: tokens * qDim)
            for t in 0..<tokens {
                let start = t / f.windowLength * f.windowLength
                for h in 0..<c.headCount {
                    let kvh = h / group
                    let scores = (start...t).map { j in
                        (0..<hd).reduce(0.0) { $0 + Double(rq[t * qDim + h * hd + $1]) * Double(rk[j * kvDim + kvh * hd + $1]) } / Double(hd).squareRoot()
                    }
                    let largest = scores.max()!, weightsSum = scores.reduce(0.0) { $0 + exp($1 - largest) }
                    for (i, j) in (start...t).enumerated() {
                        let p = exp(scores[i] - largest) / weightsSum
                        for e in 0..<hd { expected[t * qDim + h * hd + e] += p * Double(v[j * kvDim + kvh * hd + e]) }
                    }
                }
            }
            for simd in [true, false] where simd == false || KernelSet.current.hasAVX2 {
                let out = f.attention(q: q, k: k, v: v, simd: simd)
                let largest = zip(out, expected).map { abs(Double($0) - $1) }.max()!
                XCTAssertLessThan(largest, 1e-5, "\(architecture), simd \(simd)")
                // The first windows only: the same values, fewer rows.
                let two = f.attention(q: q, k: k, v: v, windows: 2, simd: simd)
                XCTAssertEqual(two, Array(out[0..<(2 * f.windowLength * qDim)]), "\(architecture), simd \(simd)")
            }
        }
    }

    func testLayerByLayerForwardGivesTheEnginesFloatLogits() throws {
        for architecture in ["llama", "qwen2"] {
            let (f, weights, calibration, file) = try forward(architecture, windows: 2, length: 30)
            let d = f.config.embeddingLength
            f.runFloatLayers(weights)
            var output = [Float](repeating: 0, count: weights.output.rows * d)
            output.withUnsafeMutableBufferPointer { o in
                for r in 0..<weights.output.rows { weights.output.dequantizeRow(r, into: o.baseAddress! + r * d) }
            }
            let logits = f.linear(f.normed(weights.outputNorm), output, outputs: weights.output.rows)

            var options = EngineOptions()
            options.quantizedActivations = false
            options.kvElement = .f32
            options.threads = 2
            let model = try LanguageModel(file: file, options: options)
            var engine: [Float] = []
            for window in calibration.windows {
                let sequence = model.cache.createSequence()
                defer { model.cache.release(sequence) }
                try model.transformer.evaluate(sequence, context: window, each: { _, row in engine += row })
            }
            XCTAssertEqual(engine.count, logits.count)
            let largest = zip(engine, logits).map { abs($0 - $1) }.max()!
            let scale = engine.map(abs).max()!
            XCTAssertLessThan(largest, 1e-4 * max(1, scale), "\(architecture): the calibration forward is not the model's function")
        }
    }
}

extension CalibrationForward {
    /// Every layer of `weights` in float, in order, on the hidden states: the model's
    /// function as the calibrations compute it, for tests to compare with.
    func runFloatLayers(_ weights: ModelWeights) {
        let d = config.embeddingLength, ff = config.feedForwardLength
        for layerWeights in weights.layers {
            let layer = FloatLayer(layerWeights)
            let x = normed(layer.attentionNorm)
            addToHidden(linear(attentionInput(of: x, layer), layer.wo, outputs: d))
            let y = normed(layer.ffnNorm)
            addToHidden(linear(gated(linear(y, layer.gate, outputs: ff), linear(y, layer.up, outputs: ff)), layer.down, outputs: d))
        }
    }
}
