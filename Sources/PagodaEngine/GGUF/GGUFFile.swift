import Foundation

/// A parsed GGUF file (versions 2 and 3, little-endian) whose tensor data stays in the
/// memory-mapped file.
///
/// The format, in order:
/// 1. magic `GGUF` (4 bytes), version (uint32), tensor count (uint64), metadata count (uint64);
/// 2. metadata entries: key (string), value type (uint32), value;
///    a string is a uint64 length and UTF-8 bytes; an array is element type (uint32),
///    count (uint64) and the elements;
/// 3. tensor infos: name (string), dimension count (uint32, at most 4), dimensions
///    (uint64 each), type (uint32), offset (uint64, relative to the data section);
/// 4. padding to `general.alignment` (default 32), then the data section.
///
/// Parsing never trusts a count: every count and length is bounded by the bytes left before
/// anything is allocated, every tensor must lie inside the data section, aligned and not
/// overlapping another, and unknown type numbers are rejected. Any problem is one
/// `GGUFError` naming the file, the field and what is wrong.
public final class GGUFFile: @unchecked Sendable {
    public static let magic: UInt32 = 0x4655_4747  // "GGUF" read as little-endian uint32
    public static let defaultAlignment = 32
    public static let maxDimensions = 4

    public let name: String
    public let version: UInt32
    public let metadata: GGUFMetadata
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Absolute byte offset of the data section.
    public let dataOffset: Int
    public let bytes: MappedBytes
    private let tensorIndex: [String: Int]

    /// Maps and parses the file at `path`.
    public convenience init(path: String) throws {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let mapped: MappedBytes
        do { mapped = try MappedBytes(path: path) } catch let e as MappedBytesError {
            throw GGUFError(file: name, field: "file", problem: "cannot open: \(e.reason)")
        }
        try self.init(bytes: mapped, name: name)
    }

    /// Parses bytes already in memory; `name` labels error messages.
    public convenience init(data: Data, name: String = "<memory>") throws {
        try self.init(bytes: MappedBytes(copying: data), name: name)
    }

    public init(bytes: MappedBytes, name: String) throws {
        self.bytes = bytes
        self.name = name
        var reader = GGUFByteReader(bytes: bytes.buffer, file: name)

        // 1. Header.
        let magic = try reader.read(UInt32.self, "header magic")
        guard magic == GGUFFile.magic else {
            let text = withUnsafeBytes(of: magic.littleEndian) { String(decoding: $0, as: UTF8.self) }
            throw reader.error("header", "bad magic \(text.debugDescription) (0x\(String(magic, radix: 16))), not a GGUF file")
        }
        let version = try reader.read(UInt32.self, "header version")
        guard version == 2 || version == 3 else {
            if version.byteSwapped == 2 || version.byteSwapped == 3 {
                throw reader.error("header", "big-endian GGUF (version \(version.byteSwapped)) is not supported")
            }
            throw reader.error("header", "version \(version) is not supported (only 2 and 3)")
        }
        self.version = version
        // Each tensor info takes at least 8 (name length) + 4 + 4 + 8 bytes; each metadata
        // entry at least 8 (key length) + 4 + 1.
        let tensorCount = try reader.readCount("header tensor count", minimumItemSize: 24)
        let metadataCount = try reader.readCount("header metadata count", minimumItemSize: 13)

        // 2. Metadata.
        var metadata = GGUFMetadata(source: name)
        for index in 0..<metadataCount {
            let key = try reader.readString("metadata key #\(index)")
            guard !metadata.contains(key) else {
                throw reader.error("metadata '\(key)'", "key appears twice")
            }
            let field = "metadata '\(key)'"
            let rawType = try reader.read(UInt32.self, field + " type")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw reader.error(field, "unknown value type \(rawType)")
            }
            metadata.set(key, try GGUFFile.readValue(type, from: &reader, field: field, depth: 0))
        }
        self.metadata = metadata

        let alignment: Int
        if let value = metadata["general.alignment"] {
            guard case .uint32(let a) = value else {
                throw reader.error("metadata 'general.alignment'", "expected uint32, found \(value.type.name)")
            }
            guard a > 0, a & (a - 1) == 0 else {
                throw reader.error("metadata 'general.alignment'", "\(a) is not a power of two")
            }
            alignment = Int(a)
        } else {
            alignment = GGUFFile.defaultAlignment
        }
        self.alignment = alignment

        // 3. Tensor infos.
        var infos: [(name: String, shape: [Int], type: GGMLType, offset: UInt64, bytes: Int)] = []
        infos.reserveCapacity(tensorCount)
        var seen = Set<String>()
        for index in 0..<tensorCount {
            let tensorName = try reader.readString("tensor #\(index) name")
            let field = "tensor '\(tensorName)'"
            guard seen.insert(tensorName).inserted else { throw reader.error(field, "name appears twice") }
            let dimensionCount = try reader.read(UInt32.self, field + " dimension count")
            guard (1...UInt32(GGUFFile.maxDimensions)).contains(dimensionCount) else {
                throw reader.error(field, "\(dimensionCount) dimensions (must be 1 to \(GGUFFile.maxDimensions))")
            }
            var shape: [Int] = []
            for _ in 0..<dimensionCount {
                let d = try reader.read(UInt64.self, field + " dimension")
                guard d <= UInt64(Int.max) else { throw reader.error(field, "dimension \(d) is too large") }
                shape.append(Int(d))
            }
            let rawType = try reader.read(UInt32.self, field + " type")
            guard let type = GGMLType(rawValue: rawType) else {
                throw reader.error(field, "unknown tensor type \(rawType)")
            }
            let offset = try reader.read(UInt64.self, field + " offset")
            let size: Int
            switch GGUFTensorInfo.byteCount(shape: shape, type: type) {
            case .success(let n): size = n
            case .failure(let problem): throw reader.error(field, "shape \(shape) of type \(type): \(problem)")
            }
            infos.append((tensorName, shape, type, offset, size))
        }

        // 4. Data section.
        let headerEnd = reader.offset
        let (padded, overflow) = headerEnd.addingReportingOverflow(alignment - 1)
        let dataOffset = overflow ? Int.max : padded / alignment * alignment
        self.dataOffset = dataOffset
        let fileSize = bytes.count
        if !infos.isEmpty && dataOffset > fileSize {
            throw reader.error("data section", "starts at byte \(dataOffset), file has \(fileSize) bytes")
        }

        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(infos.count)
        for info in infos {
            let field = "tensor '\(info.name)'"
            guard info.offset % UInt64(alignment) == 0 else {
                throw reader.error(field, "offset \(info.offset) is not a multiple of the alignment \(alignment)")
            }
            guard info.offset <= UInt64(fileSize) else {
                throw reader.error(field, "data starts at byte \(UInt64(dataOffset) &+ info.offset), file has \(fileSize) bytes")
            }
            let start = dataOffset + Int(info.offset)
            let (end, endOverflow) = start.addingReportingOverflow(info.bytes)
            guard !endOverflow, end <= fileSize else {
                let shown = endOverflow ? "past 2^63" : "\(end)"
                throw reader.error(field, "data ends at byte \(shown), file has \(fileSize) bytes")
            }
            tensors.append(GGUFTensorInfo(name: info.name, shape: info.shape, type: info.type, offset: Int(info.offset), byteCount: info.bytes))
        }
        let byOffset = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where a.offset + a.byteCount > b.offset && a.byteCount > 0 && b.byteCount > 0 {
            throw reader.error("tensor '\(b.name)'", "data at offset \(b.offset) overlaps tensor '\(a.name)' (\(a.offset)..<\(a.offset + a.byteCount))")
        }
        self.tensors = tensors
        self.tensorIndex = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
    }

    /// Arrays may nest; a depth limit keeps a hostile file from recursing without end.
    static let maxArrayDepth = 8

    private static func readValue(_ type: GGUFValueType, from reader: inout GGUFByteReader, field: String, depth: Int) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self, field))
        case .int8: return .int8(try reader.read(Int8.self, field))
        case .uint16: return .uint16(try reader.read(UInt16.self, field))
        case .int16: return .int16(try reader.read(Int16.self, field))
        case .uint32: return .uint32(try reader.read(UInt32.self, field))
        case .int32: return .int32(try reader.read(Int32.self, field))
        case .uint64: return .uint64(try reader.read(UInt64.self, field))
        case .int64: return .int64(try reader.read(Int64.self, field))
        case .float32: return .float32(try reader.readFloat(field))
        case .float64: return .float64(try reader.readDouble(field))
        case .bool:
            let byte = try reader.read(UInt8.self, field)
            guard byte <= 1 else { throw reader.error(field, "bool has value \(byte) (must be 0 or 1)") }
            return .bool(byte == 1)
        case .string: return .string(try reader.readString(field))
        case .array:
            guard depth < maxArrayDepth else { throw reader.error(field, "arrays nested deeper than \(maxArrayDepth)") }
            let rawElement = try reader.read(UInt32.self, field + " element type")
            guard let element = GGUFValueType(rawValue: rawElement) else {
                throw reader.error(field, "unknown array element type \(rawElement)")
            }
            let count = try reader.readCount(field + " array length", minimumItemSize: element.minimumEncodedSize)
            var items: [GGUFValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count {
                items.append(try readValue(element, from: &reader, field: field, depth: depth + 1))
            }
            return .array(element, items)
        }
    }

    // MARK: - Tensors

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The bytes of `info`'s data, inside the mapping. Valid while this file object lives.
    public func data(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: bytes.base + dataOffset + info.offset, count: info.byteCount)
    }

    /// Total bytes of tensor data.
    public var tensorBytes: Int { tensors.reduce(0) { $0 + $1.byteCount } }
}
