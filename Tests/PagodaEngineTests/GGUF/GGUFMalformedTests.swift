import XCTest
@testable import PagodaEngine

/// A corpus of broken files, built here byte by byte. Each must give a `GGUFError` that
/// names the file and the problem; none may crash, hang or allocate by a bogus count.
final class GGUFMalformedTests: XCTestCase {
    /// Bytes written field by field, for files the writer would refuse to make.
    struct Raw {
        var data = Data()
        mutating func u8(_ v: UInt8) { data.appendLE(v) }
        mutating func u32(_ v: UInt32) { data.appendLE(v) }
        mutating func u64(_ v: UInt64) { data.appendLE(v) }
        mutating func str(_ s: String) { data.appendString(s) }
        mutating func bytes(_ b: [UInt8]) { data.append(contentsOf: b) }
        mutating func header(version: UInt32 = 3, tensors: UInt64, kv: UInt64) {
            u32(GGUFFile.magic); u32(version); u64(tensors); u64(kv)
        }
        /// A tensor info: name, dims, type, offset.
        mutating func tensor(_ name: String, _ dims: [UInt64], type: UInt32 = 0, offset: UInt64) {
            str(name); u32(UInt32(dims.count)); dims.forEach { u64($0) }; u32(type); u64(offset)
        }
        mutating func padToAlignment(_ a: Int = 32) {
            while data.count % a != 0 { u8(0) }
        }
    }

    func expectError(_ data: Data, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try GGUFFile(data: data, name: "bad.gguf"), file: file, line: line) { error in
            guard let e = error as? GGUFError else {
                return XCTFail("not a GGUFError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(e.file, "bad.gguf", file: file, line: line)
            XCTAssertTrue(e.description.contains(fragment), "“\(e)” lacks “\(fragment)”", file: file, line: line)
        }
    }

    // MARK: - Truncation

    func testEveryTruncationFails() throws {
        let (writer, data) = try GGUFRoundTripTests.sampleFile()
        let file = try GGUFFile(data: data)
        let lastEnd = writer.tensors.map { file.dataOffset + $0.info.offset + $0.info.byteCount }.max()!
        for length in 0..<lastEnd {
            XCTAssertThrowsError(try GGUFFile(data: data.prefix(length), name: "cut.gguf"), "prefix \(length)") { error in
                XCTAssertTrue(error is GGUFError, "prefix \(length): \(error)")
                XCTAssertTrue("\(error)".hasPrefix("cut.gguf: "), "\(error)")
            }
        }
        XCTAssertNoThrow(try GGUFFile(data: data.prefix(lastEnd)), "trailing padding is optional")
    }

    func testTruncatedTensorDataNamesTheTensor() throws {
        let (_, data) = try GGUFRoundTripTests.sampleFile()
        let file = try GGUFFile(data: data)
        let c = try XCTUnwrap(file.tensor(named: "c.bias"))
        let cut = data.prefix(file.dataOffset + c.offset + 4)
        expectError(cut, "tensor 'c.bias': data ends at byte \(file.dataOffset + c.offset + 10), file has \(cut.count) bytes")
    }

    // MARK: - Header

    func testBadMagic() {
        var raw = Raw()
        raw.bytes(Array("GGML".utf8)); raw.u32(3); raw.u64(0); raw.u64(0)
        expectError(raw.data, "bad magic \"GGML\"")
        expectError(Data("not a model at all, just text".utf8), "bad magic")
    }

    func testUnsupportedVersions() {
        for version: UInt32 in [1, 99, 0] {
            var raw = Raw()
            raw.header(version: version, tensors: 0, kv: 0)
            expectError(raw.data, "version \(version) is not supported")
        }
        var raw = Raw()
        raw.header(version: UInt32(3).byteSwapped, tensors: 0, kv: 0)
        expectError(raw.data, "big-endian")
    }

    func testHugeCountsAreRejectedBeforeAllocating() {
        var raw = Raw()
        raw.header(tensors: 1 << 63, kv: 0)
        expectError(raw.data, "header tensor count: count 9223372036854775808")
        raw = Raw()
        raw.header(tensors: 0, kv: 1 << 63)
        expectError(raw.data, "header metadata count")
        raw = Raw()
        raw.header(tensors: 0, kv: UInt64.max)
        expectError(raw.data, "header metadata count")
        raw = Raw()
        raw.header(tensors: 0, kv: 1)
        raw.str("big.array"); raw.u32(GGUFValueType.array.rawValue); raw.u32(GGUFValueType.uint64.rawValue); raw.u64(1 << 63)
        expectError(raw.data, "metadata 'big.array' array length: count 9223372036854775808")
        raw = Raw()
        raw.header(tensors: 0, kv: 1)
        raw.str("strings"); raw.u32(GGUFValueType.array.rawValue); raw.u32(GGUFValueType.string.rawValue); raw.u64(1_000_000)
        raw.bytes([UInt8](repeating: 0, count: 64))
        expectError(raw.data, "metadata 'strings' array length: count 1000000")
    }

    // MARK: - Metadata

    func testStringLengthPastTheEnd() {
        var raw = Raw()
        raw.header(tensors: 0, kv: 1)
        raw.u64(1 << 63)
        raw.bytes([UInt8](repeating: 0, count: 16))
        expectError(raw.data, "metadata key #0: string length 9223372036854775808 runs past the end")
        raw = Raw()
        raw.header(tensors: 0, kv: 1)
        raw.str("general.name"); raw.u32(GGUFValueType.string.rawValue); raw.u64(100); raw.bytes(Array("short".utf8))
        expectError(raw.data, "metadata 'general.name': string length 100 runs past the end")
    }

    func testNonUTF8Key() {
        var raw = Raw()
        raw.header(tensors: 0, kv: 1)
        raw.u64(3); raw.bytes([0x66, 0xFF, 0xFE]); raw.u32(GGUFValueType.uint8.rawValue); raw.u8(1)
        expectError(raw.data, "metadata key #0: string of 3 bytes at offset 32 is not valid UTF-8")
    }

    func testUnknownValueTypesAndBadBool() {
        var raw = Raw()
        raw.header(tensors: 0, kv: 1)
        raw.str("x"); raw.u32(13); raw.u8(0)
        expectError(raw.data, "metadata 'x': unknown value type 13")
        raw = Raw()
        raw.header(tensors: 0, kv: 1)
        raw.str("x"); raw.u32(GGUFValueType.array.rawValue); raw.u32(77); raw.u64(0)
        expectError(raw.data, "unknown array element type 77")
        raw = Raw()
        raw.header(tensors: 0, kv: 1)
        raw.str("flag"); raw.u32(GGUFValueType.bool.rawValue); raw.u8(2)
        expectError(raw.data, "metadata 'flag': bool has value 2")
    }

    func testDuplicateKey() {
        var raw = Raw()
        raw.header(tensors: 0, kv: 2)
        for _ in 0..<2 { raw.str("k"); raw.u32(GGUFValueType.uint8.rawValue); raw.u8(1) }
        expectError(raw.data, "metadata 'k': key appears twice")
    }

    func testArraysNestedTooDeep() {
        var raw = Raw()
        raw.header(tensors: 0, kv: 1)
        raw.str("deep"); raw.u32(GGUFValueType.array.rawValue)
        for _ in 0..<20 { raw.u32(GGUFValueType.array.rawValue); raw.u64(1) }
        raw.u32(GGUFValueType.uint8.rawValue); raw.u64(0)
        expectError(raw.data, "arrays nested deeper than")
    }

    func testBadAlignment() {
        for (value, fragment): (GGUFValue, String) in [(.uint32(0), "is not a power of two"), (.uint32(48), "48 is not a power of two"), (.uint64(32), "expected uint32")] {
            var raw = Raw()
            raw.header(tensors: 0, kv: 1)
            raw.str("general.alignment"); raw.u32(value.type.rawValue); raw.data.appendValue(value)
            expectError(raw.data, fragment)
        }
    }

    // MARK: - Tensors

    /// One F32 tensor `t` of `dims` at `offset`, with `dataBytes` bytes of data after the padding.
    func tensorFile(_ dims: [UInt64], type: UInt32 = 0, offset: UInt64 = 0, dataBytes: Int = 64) -> Data {
        var raw = Raw()
        raw.header(tensors: 1, kv: 0)
        raw.tensor("t", dims, type: type, offset: offset)
        raw.padToAlignment()
        raw.bytes([UInt8](repeating: 0, count: dataBytes))
        return raw.data
    }

    func testValidSingleTensorParses() throws {
        let file = try GGUFFile(data: tensorFile([4, 4]))
        XCTAssertEqual(file.tensors.first?.byteCount, 64)
    }

    func testTensorOutOfRange() {
        // Header 24 bytes + info 41, padded to 96; 64 bytes of data: the file has 160 bytes.
        expectError(tensorFile([4, 4], offset: 32), "tensor 't': data ends at byte 192, file has 160 bytes")
        expectError(tensorFile([4, 4], offset: 1 << 62), "tensor 't': data starts at byte")
        expectError(tensorFile([1 << 40]), "tensor 't': data ends at byte")
        expectError(tensorFile([4, 4], offset: UInt64.max - 31), "tensor 't'")
    }

    func testUnalignedOffset() {
        expectError(tensorFile([2], offset: 4), "tensor 't': offset 4 is not a multiple of the alignment 32")
    }

    func testUnknownTensorTypes() {
        for type: UInt32 in [4, 5, 31, 36, 40, 1000, UInt32.max] {
            expectError(tensorFile([32], type: type), "tensor 't': unknown tensor type \(type)")
        }
    }

    func testBadDimensions() {
        expectError(tensorFile([]), "tensor 't': 0 dimensions")
        expectError(tensorFile([1, 1, 1, 1, 1]), "tensor 't': 5 dimensions")
        expectError(tensorFile([1 << 62, 1 << 62]), "overflows")
        expectError(tensorFile([UInt64.max]), "dimension 18446744073709551615 is too large")
        expectError(tensorFile([31], type: GGMLType.q4_0.rawValue), "row of 31 elements is not a multiple of the block size 32")
    }

    func testTensorCountExceedsInfos() {
        var raw = Raw()
        raw.header(tensors: 2, kv: 0)
        raw.tensor("t", [4], offset: 0)
        raw.bytes([UInt8](repeating: 0, count: 40))
        // The zero bytes after the first info read as an empty name with 0 dimensions.
        expectError(raw.data, "tensor '': 0 dimensions")
        raw = Raw()
        raw.header(tensors: 2, kv: 0)
        raw.tensor("t", [4], offset: 0)
        raw.bytes([UInt8](repeating: 0xFF, count: 30))
        expectError(raw.data, "tensor #1 name")
    }

    func testOverlappingAndDuplicateTensors() {
        var raw = Raw()
        raw.header(tensors: 2, kv: 0)
        raw.tensor("a", [16], offset: 0)
        raw.tensor("b", [16], offset: 32)
        raw.padToAlignment()
        raw.bytes([UInt8](repeating: 0, count: 128))
        expectError(raw.data, "tensor 'b': data at offset 32 overlaps tensor 'a' (0..<64)")

        raw = Raw()
        raw.header(tensors: 2, kv: 0)
        raw.tensor("a", [8], offset: 0)
        raw.tensor("a", [8], offset: 32)
        raw.padToAlignment()
        raw.bytes([UInt8](repeating: 0, count: 64))
        expectError(raw.data, "tensor 'a': name appears twice")
    }

    // MARK: - Random damage

    /// Flipping bytes of a valid file must always end in a parse or a `GGUFError`.
    func testRandomByteDamageNeverCrashes() throws {
        let (_, data) = try GGUFRoundTripTests.sampleFile()
        var rng = XorShift32(seed: 2024)
        var failures = 0
        for _ in 0..<3000 {
            var damaged = data
            for _ in 0..<(1 + rng.nextInt(0..<4)) {
                let at = rng.nextInt(0..<min(damaged.count, 700))
                damaged[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            do {
                _ = try GGUFFile(data: damaged, name: "fuzz.gguf")
            } catch is GGUFError {
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 100, "damage should usually be detected")
    }
}
