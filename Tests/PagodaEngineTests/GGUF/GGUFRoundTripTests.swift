import XCTest
@testable import PagodaEngine

final class GGUFRoundTripTests: XCTestCase {
    /// Metadata of every value type, nested arrays and an empty array.
    static func sampleMetadata() -> GGUFMetadata {
        var m = GGUFMetadata()
        m.set("general.architecture", .string("llama"))
        m.set("general.name", .string("tiny ünïcødé 模型 🙂"))
        m.set("t.u8", .uint8(255))
        m.set("t.i8", .int8(-128))
        m.set("t.u16", .uint16(65535))
        m.set("t.i16", .int16(-32768))
        m.set("t.u32", .uint32(4_000_000_000))
        m.set("t.i32", .int32(-2_000_000_000))
        m.set("t.u64", .uint64(UInt64.max))
        m.set("t.i64", .int64(Int64.min))
        m.set("t.f32", .float32(-1.5e-5))
        m.set("t.f64", .float64(Double.pi))
        m.set("t.bool", .bool(true))
        m.set("t.empty", .string(""))
        m.set("t.strings", .array(.string, [.string("a"), .string(""), .string("Ġhello")]))
        m.set("t.floats", .array(.float32, [.float32(1), .float32(-2)]))
        m.set("t.nested", .array(.array, [.array(.int32, [.int32(1), .int32(2)]), .array(.int32, [])]))
        m.set("t.none", .array(.uint8, []))
        return m
    }

    static func sampleFile(alignment: Int = 32) throws -> (GGUFWriter, Data) {
        var writer = GGUFWriter(metadata: sampleMetadata(), alignment: alignment)
        let f32 = (0..<12).map { Float($0) - 5.5 }
        try writer.addTensor(name: "a.weight", shape: [4, 3], type: .f32, data: Data(f32.withUnsafeBytes(Array.init)))
        let q = try Quantization.quantize(.q8_0, TestData.weights(64, seed: 3))
        try writer.addTensor(name: "b.weight", shape: [32, 2], type: .q8_0, data: Data(q))
        try writer.addTensor(name: "c.bias", shape: [5], type: .f16, data: Data(repeating: 0x3C, count: 10))
        return (writer, writer.serialize())
    }

    func testWrittenFileReadsBackIdentically() throws {
        for alignment in [32, 64, 8] {
            let (writer, data) = try Self.sampleFile(alignment: alignment)
            let file = try GGUFFile(data: data, name: "sample.gguf")
            XCTAssertEqual(file.version, 3)
            XCTAssertEqual(file.alignment, alignment)
            XCTAssertEqual(file.metadata, writer.metadata)
            XCTAssertEqual(file.metadata.keys, writer.metadata.keys, "order is kept")
            XCTAssertEqual(file.tensors.count, 3)
            XCTAssertEqual(file.dataOffset % alignment, 0)
            for (info, bytes) in writer.tensors {
                let read = try XCTUnwrap(file.tensor(named: info.name))
                XCTAssertEqual(read, info)
                XCTAssertEqual(read.offset % alignment, 0)
                XCTAssertEqual(Data(file.data(of: read)), bytes)
            }
            // Writing what was read gives the same bytes again.
            var again = GGUFWriter(metadata: file.metadata, alignment: alignment)
            for info in file.tensors {
                try again.addTensor(name: info.name, shape: info.shape, type: info.type, data: Data(file.data(of: info)))
            }
            XCTAssertEqual(again.serialize(), data)
        }
    }

    func testWriteToDiskAndMap() throws {
        let folder = try TestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (writer, data) = try Self.sampleFile()
        let path = folder.appendingPathComponent("m.gguf").path
        try writer.write(to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), data)
        let file = try GGUFFile(path: path)
        XCTAssertEqual(file.name, "m.gguf")
        XCTAssertEqual(file.metadata, writer.metadata)
        let a = try XCTUnwrap(file.tensor(named: "a.weight"))
        let values = try Quantization.dequantize(.f32, file.data(of: a), count: 12)
        XCTAssertEqual(values.first, -5.5)
    }

    func testTypedAccessors() throws {
        let m = Self.sampleMetadata()
        XCTAssertEqual(try m.int("t.u32"), 4_000_000_000)
        XCTAssertEqual(try m.int("t.i8"), -128)
        XCTAssertEqual(try m.float("t.f32"), -1.5e-5)
        XCTAssertEqual(try m.float("t.u8"), 255)
        XCTAssertEqual(try m.string("general.architecture"), "llama")
        XCTAssertEqual(try m.bool("t.bool"), true)
        XCTAssertEqual(try m.strings("t.strings"), ["a", "", "Ġhello"])
        XCTAssertEqual(try m.floats("t.floats"), [1, -2])
        XCTAssertEqual(try m.int("missing.key", default: 7), 7)
        XCTAssertThrowsError(try m.int("missing.key")) { error in
            XCTAssertEqual("\(error)", "metadata: metadata 'missing.key': missing")
        }
        XCTAssertThrowsError(try m.int("general.name")) { error in
            XCTAssertTrue("\(error)".contains("metadata 'general.name': expected an integer, found string"), "\(error)")
        }
        XCTAssertThrowsError(try m.int("t.u64"), "UInt64.max does not fit Int")
        XCTAssertThrowsError(try m.strings("t.floats"))
        XCTAssertThrowsError(try m.bool("t.u8"))
    }

    func testWriterRejectsBadTensors() {
        var writer = GGUFWriter()
        XCTAssertThrowsError(try writer.addTensor(name: "x", shape: [31], type: .q4_0, data: Data(count: 18)))
        XCTAssertThrowsError(try writer.addTensor(name: "x", shape: [32], type: .q4_0, data: Data(count: 17)))
        XCTAssertThrowsError(try writer.addTensor(name: "x", shape: [1, 1, 1, 1, 1], type: .f32, data: Data(count: 4)))
        XCTAssertNoThrow(try writer.addTensor(name: "x", shape: [32], type: .q4_0, data: Data(count: 18)))
        XCTAssertThrowsError(try writer.addTensor(name: "x", shape: [32], type: .q4_0, data: Data(count: 18)), "duplicate name")
    }
}
