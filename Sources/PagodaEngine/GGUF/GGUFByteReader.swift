/// A little-endian cursor over a byte buffer that never reads past its end.
/// Every read checks the bytes left first and throws a `GGUFError` naming the field.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var offset: Int = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    func error(_ field: String, _ problem: String) -> GGUFError {
        GGUFError(file: file, field: field, problem: problem)
    }

    mutating func require(_ count: Int, for field: String) throws {
        guard count >= 0, count <= remaining else {
            throw error(field, "needs \(count) bytes at offset \(offset), file has \(remaining) left (truncated)")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ field: String) throws -> T {
        let size = MemoryLayout<T>.size
        try require(size, for: field)
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ field: String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, field))
    }

    mutating func readDouble(_ field: String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, field))
    }

    /// A count stored as uint64, checked to fit `Int` and to be possible given that each
    /// item needs at least `minimumItemSize` bytes of what is left.
    mutating func readCount(_ field: String, minimumItemSize: Int) throws -> Int {
        let raw = try read(UInt64.self, field)
        let limit = UInt64(remaining / max(minimumItemSize, 1))
        guard raw <= limit else {
            throw error(field, "count \(raw) needs at least \(raw.multipliedReportingOverflow(by: UInt64(minimumItemSize)).partialValue) bytes, only \(remaining) left")
        }
        return Int(raw)
    }

    /// A GGUF string: uint64 length then that many bytes, which must be UTF-8.
    mutating func readString(_ field: String) throws -> String {
        let length = try read(UInt64.self, field + " length")
        guard length <= UInt64(remaining) else {
            throw error(field, "string length \(length) runs past the end of the file (\(remaining) bytes left)")
        }
        let count = Int(length)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw error(field, "string of \(count) bytes at offset \(offset) is not valid UTF-8")
        }
        offset += count
        return string
    }

    mutating func skip(to newOffset: Int, _ field: String) throws {
        guard newOffset >= offset, newOffset <= bytes.count else {
            throw error(field, "offset \(newOffset) lies outside the file (\(bytes.count) bytes)")
        }
        offset = newOffset
    }
}
