import Foundation
import XCTest
@testable import PagodaEngine

/// AWQ and GPTQ over a whole (tiny, random) model of both architectures: AWQ's folded
/// scales leave the float model's logits as they were; on the calibration tokens both
/// methods bring the Q4_0 model's distributions closer to the float model's than
/// round-to-nearest does, for the whole model and for its output matrix alone; an
/// interrupted run leaves no file.
final class CalibratedQuantizationTests: XCTestCase {
    var folder: URL!
    let pool = ThreadPool(threads: 2)

    override func setUpWithError() throws { folder = try TestData.temporaryFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// The tiny model's F32 copy: the reference every method starts from.
    func referenceModel(_ architecture: String, tied: Bool = true) throws -> String {
        let input = folder.appendingPathComponent("tiny-\(architecture).gguf").path
        var shape = TinyModel.Shape(architecture: architecture, layers: 2, embedding: 64, feedForward: 128)
        shape.tiedEmbeddings = tied
        shape.outputType = .q8_0  // not on the Q4_0 grid the tests search for, or its best scale is 1
        try TinyModel.serialized(shape, seed: 3).write(to: URL(fileURLWithPath: input))
        let tiny = try GGUFFile(path: input)
        let output = folder.appendingPathComponent("ref-\(architecture).gguf").path
        let plan = QuantizationPlan(target: .pure(.f32), tensors: tiny.tensors, layerCount: 2)
        try ModelQuantizer(pool: pool).quantize(tiny, inputPath: input, plan: plan, to: output)
        return output
    }

    /// Windows of random tokens (the tiny model's tokenizer has no real text).
    func calibration(vocabulary: Int = 80) -> CalibrationSet {
        var rng = XorShift32(seed: 21)
        return CalibrationSet(windows: (0..<4).map { _ in (0..<64).map { _ in TokenID(rng.nextInt(0..<vocabulary)) } })
    }

    enum Method { case rtn, awq(foldOnly: GGMLType?), gptq }

    /// `outputOnly`: every tensor stays F32 but the output matrix (the token embedding where
    /// it is tied), which gets that type.
    func quantize(_ reference: String, _ target: QuantTarget, _ method: Method, outputOnly: GGMLType? = nil, cancelAfter: Int? = nil) throws -> String {
        let file = try GGUFFile(path: reference)
        let config = try ModelConfig(metadata: file.metadata)
        let weights = try ModelWeights(file: file, config: config)
        let tied = file.tensor(named: "output.weight") == nil
        let plan = QuantizationPlan(target: target, tensors: file.tensors, layerCount: config.layerCount,
                                    tokenEmbeddingType: tied ? outputOnly : nil, outputType: tied ? nil : outputOnly)
        let layers: LayerCalibration?
        switch method {
        case .rtn: layers = nil
        case .awq(let foldOnly):
            let awq = AWQLayers(weights: weights, config: config, calibration: calibration(), pool: pool)
            awq.foldOnly = foldOnly
            layers = awq
        case .gptq: layers = GPTQLayers(weights: weights, config: config, calibration: calibration(), pool: pool)
        }
        let output = folder.appendingPathComponent("out-\(target)-\(layers?.method ?? "rtn")\(UUID().uuidString.prefix(4)).gguf").path
        var calls = 0
        try ModelQuantizer(pool: pool).quantize(file, inputPath: reference, plan: plan, to: output, calibration: layers, isCancelled: {
            calls += 1
            return cancelAfter.map { calls > $0 } ?? false
        })
        return output
    }

    /// Every position's logits over the calibration windows, with exact float products and
    /// an f32 KV cache (folding moves values across f16's rounding points).
    func logits(_ path: String) throws -> [[Float]] {
        var options = EngineOptions()
        options.quantizedActivations = false
        options.kvElement = .f32
        options.threads = 2
        let model = try LanguageModel(path: path, options: options)
        var out: [[Float]] = []
        for window in calibration().windows {
            let sequence = model.cache.createSequence()
            defer { model.cache.release(sequence) }
            try model.transformer.evaluate(sequence, context: window, each: { _, row in out.append(Array(row)) })
        }
        return out
    }

    /// Mean KL(p ‖ q) over positions, from logits.
    func meanKL(_ p: [[Float]], _ q: [[Float]]) -> Double {
        func logSoftmax(_ x: [Float]) -> [Double] {
            let m = Double(x.max()!), z = x.reduce(0.0) { $0 + exp(Double($1) - m) }
            return x.map { Double($0) - m - log(z) }
        }
        var total = 0.0
        for (a, b) in zip(p, q) {
            let lp = logSoftmax(a), lq = logSoftmax(b)
            for i in 0..<lp.count { total += exp(lp[i]) * (lp[i] - lq[i]) }
        }
        return total / Double(p.count)
    }

    /// The qwen2 model has an output matrix of its own (as Qwen2.5-Coder-0.5B's file does),
    /// so its scales fold into the final norm too.
    func testAWQScaleFoldingLeavesTheFloatModelUnchanged() throws {
        for architecture in ["llama", "qwen2"] {
            let reference = try referenceModel(architecture, tied: architecture == "llama")
            let folded = try quantize(reference, .pure(.f32), .awq(foldOnly: .q4_0))
            let before = try logits(reference), after = try logits(folded)
            var largest: Float = 0
            for (a, b) in zip(before, after) { for i in 0..<a.count { largest = max(largest, abs(a[i] - b[i])) } }
            XCTAssertLessThan(largest, 1e-4, "\(architecture): logits move by \(largest) after folding")
            // The scales were not all 1: every matrix a scale folds into changed somewhere.
            let original = try GGUFFile(path: reference), changed = try GGUFFile(path: folded)
            var moved: [String] = []
            for t in original.tensors where t.name.hasPrefix("blk.") || t.name.hasPrefix("output") {
                let w0 = try Quantization.dequantize(t.type, original.data(of: t), count: t.elementCount)
                let w1 = try Quantization.dequantize(t.type, changed.data(of: XCTUnwrap(changed.tensor(named: t.name))), count: t.elementCount)
                if zip(w0, w1).contains(where: { abs($0 - $1) > 1e-3 }) { moved.append(t.name) }
            }
            for matrix in ["attn_v", "attn_output", "ffn_up", "ffn_down"] + (architecture == "qwen2" ? ["output", "output_norm"] : []) {
                XCTAssertTrue(moved.contains { $0.hasSuffix(matrix + ".weight") }, "\(architecture): AWQ scaled \(matrix) (moved: \(moved))")
            }
        }
    }

    func testAWQAndGPTQBeatRoundToNearestOnTheCalibrationTokens() throws {
        for architecture in ["llama", "qwen2"] {
            let reference = try referenceModel(architecture)
            let base = try logits(reference)
            let rtn = meanKL(base, try logits(try quantize(reference, .pure(.q4_0), .rtn)))
            let awq = meanKL(base, try logits(try quantize(reference, .pure(.q4_0), .awq(foldOnly: nil))))
            let gptq = meanKL(base, try logits(try quantize(reference, .pure(.q4_0), .gptq)))
            print("\(architecture) Q4_0 mean KL to F32 on the calibration tokens: rtn \(rtn), awq \(awq), gptq \(gptq)")
            XCTAssertLessThan(awq, rtn, "\(architecture): AWQ")
            XCTAssertLessThan(gptq, rtn, "\(architecture): GPTQ")
        }
    }

    /// The output matrix alone quantized, by each method: where it is its own matrix (qwen2)
    /// AWQ's scales and clipping and GPTQ on the final states bring the logits closer to the
    /// float model's than round-to-nearest; where it is the tied embedding (llama) both judge
    /// it by the logits alone, so the logits' error on the float final states is what falls
    /// (the tiny model's two layers leave its embedding's own error in view, which a real
    /// model's depth does not: see the README for SmolLM2's).
    func testAWQAndGPTQCalibrateTheOutputMatrix() throws {
        let untied = try referenceModel("qwen2", tied: false)
        let base = try logits(untied)
        func kl(_ method: Method) throws -> Double {
            meanKL(base, try logits(try quantize(untied, .pure(.f32), method, outputOnly: .q4_0)))
        }
        let rtn = try kl(.rtn), awq = try kl(.awq(foldOnly: nil)), gptq = try kl(.gptq)
        print("qwen2 Q4_0 output matrix only, mean KL to F32: rtn \(rtn), awq \(awq), gptq \(gptq)")
        XCTAssertGreaterThan(rtn, 1e-4, "the rounded output matrix changes the logits")
        XCTAssertLessThan(awq, rtn, "AWQ")
        XCTAssertLessThan(gptq, rtn, "GPTQ")

        let tied = try referenceModel("llama", tied: true)
        let (states, reference) = try finalStatesAndOutput(tied)
        func logitError(_ method: Method) throws -> Double {
            let file = try GGUFFile(path: try quantize(tied, .pure(.f32), method, outputOnly: .q4_0))
            let info = try XCTUnwrap(file.tensor(named: "token_embd.weight"))
            XCTAssertEqual(info.type, .q4_0)
            let w = try Quantization.dequantize(info.type, file.data(of: info), count: info.elementCount)
            let d = info.rowLength, rows = info.elementCount / d
            let ours = CalibrationForward.linear(states, w, rows: states.count / d, outputs: rows, pool: pool)
            let theirs = CalibrationForward.linear(states, reference, rows: states.count / d, outputs: rows, pool: pool)
            return AWQLayers.squaredDistance(ours, theirs)
        }
        let tiedRTN = try logitError(.rtn), tiedAWQ = try logitError(.awq(foldOnly: nil)), tiedGPTQ = try logitError(.gptq)
        print("llama Q4_0 tied embedding only, logits' squared error on the final states: rtn \(tiedRTN), awq \(tiedAWQ), gptq \(tiedGPTQ)")
        XCTAssertLessThan(tiedAWQ, tiedRTN, "AWQ's clipping")
        XCTAssertLessThan(tiedGPTQ, tiedRTN, "GPTQ")
    }

    /// The float model's final normed states over the calibration windows, and its output
    /// matrix in float.
    func finalStatesAndOutput(_ path: String) throws -> (states: [Float], output: [Float]) {
        let file = try GGUFFile(path: path)
        let config = try ModelConfig(metadata: file.metadata)
        let weights = try ModelWeights(file: file, config: config)
        let f = CalibrationForward(config: config, weights: weights, calibration: calibration(), pool: pool)
        f.runFloatLayers(weights)
        return (f.normed(weights.outputNorm), FloatLayer.dense(weights.output))
    }

    func testInterruptedCalibratedQuantizeLeavesNothing() throws {
        let reference = try referenceModel("llama")
        XCTAssertThrowsError(try quantize(reference, .pure(.q4_0), .gptq, cancelAfter: 3)) { error in
            XCTAssertEqual(error as? QuantizeError, .cancelled)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("out-") }
        XCTAssertEqual(left, [], "no partial output")
    }
}
