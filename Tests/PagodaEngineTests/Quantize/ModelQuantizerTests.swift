import Foundation
import XCTest
@testable import PagodaEngine

/// Quantizing a small synthetic model file: every type and mix round-trips through the
/// reader with the reference quantizer's exact bytes, untouched tensors are copied, bad
/// requests are one error each, and an interrupted run leaves nothing behind.
final class ModelQuantizerTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try TestData.temporaryFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Two llama layers with rows of 256 (every type fits) and random f32 weights.
    func makeModel(type: GGMLType = .f32) throws -> String {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("llama.block_count", .uint32(2))
        writer.set("general.file_type", .uint32(0))
        var seed: UInt32 = 1
        func add(_ name: String, _ shape: [Int]) throws {
            seed += 1
            let values = TestData.weights(shape.reduce(1, *), seed: seed)
            let storedType = shape.count > 1 ? type : .f32
            let bytes = storedType == .f32 ? values.withUnsafeBytes { Data($0) } : Data(try Quantization.quantize(storedType, values))
            try writer.addTensor(name: name, shape: shape, type: storedType, data: bytes)
        }
        try add("token_embd.weight", [256, 64])
        for l in 0..<2 {
            try add("blk.\(l).attn_norm.weight", [256])
            for m in ["attn_q", "attn_k", "attn_v", "attn_output"] { try add("blk.\(l).\(m).weight", [256, 256]) }
            try add("blk.\(l).ffn_down.weight", [512, 256])
            try add("blk.\(l).ffn_up.weight", [256, 512])
        }
        try add("output.weight", [256, 64])
        let path = folder.appendingPathComponent("model-\(type.name).gguf").path
        try writer.write(to: path)
        return path
    }

    func quantize(_ input: String, _ target: QuantTarget, allowRequantize: Bool = false, cancelAfter: Int? = nil) throws -> (GGUFFile, QuantizationPlan, String) {
        let file = try GGUFFile(path: input)
        let plan = QuantizationPlan(target: target, tensors: file.tensors, layerCount: 2)
        let output = folder.appendingPathComponent("out-\(target).gguf").path
        var calls = 0
        try ModelQuantizer(pool: ThreadPool(threads: 2), allowRequantize: allowRequantize).quantize(
            file, inputPath: input, plan: plan, to: output, isCancelled: {
                calls += 1
                return cancelAfter.map { calls > $0 } ?? false
            })
        return (file, plan, output)
    }

    func testEveryTypeAndMixRoundTripsWithTheReferenceBytes() throws {
        let input = try makeModel()
        for name in QuantTarget.names {
            let target = try XCTUnwrap(QuantTarget(name: name))
            let (source, plan, output) = try quantize(input, target)
            let result = try GGUFFile(path: output)
            XCTAssertEqual(try result.metadata.int("general.file_type"), Int(target.fileType), name)
            XCTAssertEqual(try result.metadata.int("general.quantization_version"), 2)
            XCTAssertEqual(result.tensors.map(\.name), plan.tensors.map(\.name), "\(name): the plan's order")
            for t in plan.tensors {
                let info = try XCTUnwrap(result.tensor(named: t.name))
                XCTAssertEqual(info.type, t.to, "\(name) \(t.name)")
                let original = try Quantization.dequantize(.f32, source.data(of: source.tensor(named: t.name)!), count: info.elementCount)
                let expected: [UInt8] = t.to == .f32 ? original.withUnsafeBytes { Array($0) } : try Quantization.quantize(t.to, original)
                XCTAssertEqual(Array(result.data(of: info)), expected, "\(name) \(t.name): the reference quantizer's bytes")
            }
        }
    }

    /// A quantized model to F32 is its dequantized copy; to another quantized type it is
    /// refused unless asked for.
    func testDequantizingIsAllowedRequantizingIsAsked() throws {
        let input = try makeModel(type: .q4_0)
        let (source, _, output) = try quantize(input, .pure(.f32))
        let copy = try GGUFFile(path: output)
        let info = try XCTUnwrap(source.tensor(named: "blk.1.attn_v.weight"))
        let dequantized = try Quantization.dequantize(.q4_0, source.data(of: info), count: info.elementCount)
        XCTAssertEqual(Array(copy.data(of: copy.tensor(named: info.name)!)), dequantized.withUnsafeBytes { Array($0) })
        XCTAssertThrowsError(try quantize(input, .pure(.q8_0))) { error in
            XCTAssertEqual(error as? QuantizeError, .requantize(tensor: "output.weight", from: .q4_0, to: .q8_0), "the first in llama.cpp's order")
            XCTAssertTrue("\(error)".contains("--allow-requantize"), "\(error)")
        }
        XCTAssertNoThrow(try quantize(input, .pure(.q8_0), allowRequantize: true))
    }

    func testInterruptedOrRefusedRunsLeaveNothingBehind() throws {
        let input = try makeModel()
        XCTAssertThrowsError(try quantize(input, .pure(.q4_0), cancelAfter: 5)) { error in
            XCTAssertEqual(error as? QuantizeError, .cancelled)
        }
        let file = try GGUFFile(path: input)
        let plan = QuantizationPlan(target: .pure(.q4_0), tensors: file.tensors, layerCount: 2)
        XCTAssertThrowsError(try ModelQuantizer().quantize(file, inputPath: input, plan: plan, to: input)) { error in
            XCTAssertEqual(error as? QuantizeError, .sameFile(input))
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(left, ["model-F32.gguf"], "no output and no temporary file")
    }
}
