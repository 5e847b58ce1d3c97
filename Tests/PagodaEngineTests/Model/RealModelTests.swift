import XCTest
@testable import PagodaEngine

/// `pagoda info`'s numbers and every tensor of both real models.
final class RealModelTests: XCTestCase {
    func testSmolLM2Summary() throws {
        let summary = try ModelSummary(file: RealModels.file(.smolLM2))
        XCTAssertEqual(summary.displayName, "SmolLM2-135M-Instruct.Q4_1", "the file's name, not \"Smollm2 135M 8k Lc100K Mix1 Ep2\"")
        let c = summary.config
        XCTAssertEqual(c.architecture, "llama")
        XCTAssertEqual(c.layerCount, 30)
        XCTAssertEqual(c.embeddingLength, 576)
        XCTAssertEqual(c.feedForwardLength, 1536)
        XCTAssertEqual(c.headCount, 9)
        XCTAssertEqual(c.kvHeadCount, 3)
        XCTAssertEqual(c.headDimension, 64)
        XCTAssertEqual(c.ropeBase, 100_000)
        XCTAssertEqual(c.rmsNormEpsilon, 1e-5)
        XCTAssertEqual(c.contextLength, 8192)
        XCTAssertEqual(c.vocabularySize, 49152)
        XCTAssertEqual(summary.tokenizerModel, "gpt2")
        XCTAssertEqual(summary.tokenizerPre, "smollm")
        XCTAssertTrue(summary.hasChatTemplate)
        XCTAssertTrue(summary.tiedEmbeddings)
        XCTAssertEqual(summary.tensorCount, 272)
        XCTAssertEqual(summary.weightBytes, 96_576_768)
        XCTAssertEqual(summary.bytesByType.map(\.type), [.q4_1, .q8_0, .f32])
        // K and V: 2 × 30 layers × 3 heads × 64 dims × 2 bytes.
        XCTAssertEqual(summary.kvBytesPerToken(bytesPerElement: 2), 23_040)
        XCTAssertEqual(summary.license, "apache-2.0")
    }

    func testQwenCoderSummary() throws {
        let summary = try ModelSummary(file: RealModels.file(.qwenCoder))
        let c = summary.config
        XCTAssertEqual(c.architecture, "qwen2")
        XCTAssertEqual(c.layerCount, 24)
        XCTAssertEqual(c.embeddingLength, 896)
        XCTAssertEqual(c.feedForwardLength, 4864)
        XCTAssertEqual(c.headCount, 14)
        XCTAssertEqual(c.kvHeadCount, 2)
        XCTAssertEqual(c.headDimension, 64)
        XCTAssertEqual(c.vocabularySize, 151_936)
        XCTAssertEqual(c.ropeBase, 1_000_000)
        XCTAssertFalse(summary.tiedEmbeddings)
        XCTAssertEqual(Set(summary.bytesByType.map(\.type)), [.q5_0, .q8_0, .q6_K, .q4_K, .f32])
        XCTAssertEqual(summary.kvBytesPerToken(bytesPerElement: 2), 12_288)
    }

    func testEveryTensorOfBothModelsDequantizesToFiniteValues() throws {
        for model in [KnownModel.smolLM2, .qwenCoder] {
            let file = try RealModels.file(model)
            var row = [Float](repeating: 0, count: file.tensors.map(\.rowLength).max() ?? 0)
            for info in file.tensors {
                let data = file.data(of: info)
                let rowBytes = try XCTUnwrap(info.type.rowBytes(info.rowLength))
                var nonFinite = 0
                var nonZero = 0
                try row.withUnsafeMutableBufferPointer { out in
                    for r in 0..<info.rowCount {
                        let slice = UnsafeRawBufferPointer(rebasing: data[(r * rowBytes)..<((r + 1) * rowBytes)])
                        try Quantization.dequantize(info.type, slice, count: info.rowLength, into: out.baseAddress!)
                        for v in out[0..<info.rowLength] {
                            if !v.isFinite { nonFinite += 1 }
                            if v != 0 { nonZero += 1 }
                        }
                    }
                }
                XCTAssertEqual(nonFinite, 0, "\(model.name): \(info.name) (\(info.type))")
                XCTAssertGreaterThan(nonZero, 0, "\(model.name): \(info.name) is all zeros")
            }
        }
    }
}
