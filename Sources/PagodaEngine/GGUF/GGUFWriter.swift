import Foundation

/// Builds a GGUF version 3 file: metadata in insertion order, tensor infos, then each
/// tensor's data padded to the alignment. `GGUFFile` reads back exactly what was added.
///
/// Tensor data is held in memory until `write(to:)`; a model of N bytes needs N bytes here.
public struct GGUFWriter {
    public private(set) var metadata: GGUFMetadata
    public private(set) var tensors: [(info: GGUFTensorInfo, data: Data)] = []
    public let alignment: Int
    private var nextOffset = 0

    public init(metadata: GGUFMetadata = GGUFMetadata(), alignment: Int = GGUFFile.defaultAlignment) {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment must be a power of two")
        self.metadata = metadata
        self.alignment = alignment
        if alignment != GGUFFile.defaultAlignment {
            self.metadata.set("general.alignment", .uint32(UInt32(alignment)))
        }
    }

    public mutating func set(_ key: String, _ value: GGUFValue) {
        metadata.set(key, value)
    }

    /// Adds a tensor. `data` must hold exactly the bytes its shape and type call for.
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, data: Data) throws {
        let field = "tensor '\(name)'"
        guard !tensors.contains(where: { $0.info.name == name }) else {
            throw GGUFError(file: "writer", field: field, problem: "name added twice")
        }
        guard (1...GGUFFile.maxDimensions).contains(shape.count) else {
            throw GGUFError(file: "writer", field: field, problem: "\(shape.count) dimensions (must be 1 to \(GGUFFile.maxDimensions))")
        }
        let expected: Int
        switch GGUFTensorInfo.byteCount(shape: shape, type: type) {
        case .success(let n): expected = n
        case .failure(let problem): throw GGUFError(file: "writer", field: field, problem: "\(problem)")
        }
        guard data.count == expected else {
            throw GGUFError(file: "writer", field: field, problem: "has \(data.count) bytes, shape \(shape) of \(type) needs \(expected)")
        }
        let info = GGUFTensorInfo(name: name, shape: shape, type: type, offset: nextOffset, byteCount: expected)
        tensors.append((info, data))
        nextOffset = Self.align(nextOffset + expected, alignment)
    }

    /// The whole file as bytes.
    public func serialize() -> Data {
        var out = Self.header(metadata: metadata, tensors: tensors.map(\.info), alignment: alignment)
        let dataStart = out.count
        for (info, data) in tensors {
            out.append(contentsOf: [UInt8](repeating: 0, count: dataStart + info.offset - out.count))
            out.append(data)
        }
        out.append(contentsOf: [UInt8](repeating: 0, count: Self.align(out.count, alignment) - out.count))
        return out
    }

    /// Writes the file atomically: to a temporary file beside `path`, then renamed.
    public func write(to path: String) throws {
        try serialize().write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func align(_ n: Int, _ a: Int) -> Int { (n + a - 1) / a * a }

    /// Magic, version 3, counts, metadata and tensor infos, padded to `alignment`: all that
    /// comes before the tensor data.
    static func header(metadata: GGUFMetadata, tensors: [GGUFTensorInfo], alignment: Int) -> Data {
        var out = Data()
        out.appendLE(GGUFFile.magic)
        out.appendLE(UInt32(3))
        out.appendLE(UInt64(tensors.count))
        out.appendLE(UInt64(metadata.count))
        for (key, value) in metadata.entries {
            out.appendString(key)
            out.appendLE(value.type.rawValue)
            out.appendValue(value)
        }
        for info in tensors {
            out.appendString(info.name)
            out.appendLE(UInt32(info.shape.count))
            for d in info.shape { out.appendLE(UInt64(d)) }
            out.appendLE(info.type.rawValue)
            out.appendLE(UInt64(info.offset))
        }
        out.append(contentsOf: [UInt8](repeating: 0, count: align(out.count, alignment) - out.count))
        return out
    }
}

extension Data {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendString(_ s: String) {
        let utf8 = Array(s.utf8)
        appendLE(UInt64(utf8.count))
        append(contentsOf: utf8)
    }

    mutating func appendValue(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): appendLE(v)
        case .int8(let v): appendLE(v)
        case .uint16(let v): appendLE(v)
        case .int16(let v): appendLE(v)
        case .uint32(let v): appendLE(v)
        case .int32(let v): appendLE(v)
        case .uint64(let v): appendLE(v)
        case .int64(let v): appendLE(v)
        case .float32(let v): appendLE(v.bitPattern)
        case .float64(let v): appendLE(v.bitPattern)
        case .bool(let b): appendLE(UInt8(b ? 1 : 0))
        case .string(let s): appendString(s)
        case .array(let type, let items):
            appendLE(type.rawValue)
            appendLE(UInt64(items.count))
            for item in items {
                precondition(item.type == type, "array of \(type.name) holds a \(item.type.name)")
                appendValue(item)
            }
        }
    }
}
