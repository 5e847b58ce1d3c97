import XCTest
@testable import PagodaEngine

/// The streaming writer: a tensor skipped and filled in after those that follow it reads
/// back in its place; a skipped tensor never filled leaves no file.
final class GGUFStreamWriterTests: XCTestCase {
    func floats(_ n: Int, _ base: Float) -> [Float] { (0..<n).map { base + Float($0) } }

    func testSkippedTensorsAreFilledInTheirPlaces() throws {
        let folder = try TestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.gguf").path
        let layout: [(name: String, shape: [Int], type: GGMLType)] = [("first", [5], .f32), ("second", [7], .f32), ("last", [3], .f32)]
        let data = [floats(5, 10), floats(7, 20), floats(3, 30)]
        let writer = try GGUFStreamWriter(path: path, metadata: GGUFRoundTripTests.sampleMetadata(), layout: layout, alignment: 32)
        try writer.skip()
        try data[1].withUnsafeBytes { try writer.append($0) }
        try writer.skip()
        try data[2].withUnsafeBytes { try writer.fill(2, $0) }
        XCTAssertThrowsError(try data[1].withUnsafeBytes { try writer.fill(1, $0) }, "an appended tensor cannot be filled")
        XCTAssertThrowsError(try writer.finish(), "the first tensor is still missing")
        try data[0].withUnsafeBytes { try writer.fill(0, $0) }
        try writer.finish()
        let file = try GGUFFile(path: path)
        for (i, t) in layout.enumerated() {
            let info = try XCTUnwrap(file.tensor(named: t.name))
            XCTAssertEqual(try Quantization.dequantize(.f32, file.data(of: info), count: info.elementCount), data[i], t.name)
        }
    }

    func testASkippedTensorNeverFilledLeavesNoFile() throws {
        let folder = try TestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.gguf").path
        let writer = try GGUFStreamWriter(path: path, metadata: GGUFMetadata(), layout: [("only", [4], .f32)])
        try writer.skip()
        XCTAssertThrowsError(try writer.finish())
        writer.discard()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }
}
