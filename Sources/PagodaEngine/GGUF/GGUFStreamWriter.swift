import Foundation

/// Writes a GGUF v3 file whose tensors are known up front (names, shapes, types) but whose
/// data comes one tensor at a time, so a model larger than memory can be written. The file
/// goes to a temporary name beside `path` and is renamed over it by `finish()`; `discard()`
/// (or any failure before `finish`) removes it, so `path` never holds half a file.
public final class GGUFStreamWriter {
    public let path: String
    public let temporaryPath: String
    public let tensors: [GGUFTensorInfo]
    private let handle: FileHandle
    private let alignment: Int
    private let dataStart: Int
    private var next = 0
    private var written = 0
    /// Tensors `skip` left for `fill`.
    private var pending: Set<Int> = []
    private var done = false

    /// Creates the temporary file and writes the header. `layout` gives each tensor's name,
    /// shape and type, in file order.
    public init(path: String, metadata: GGUFMetadata, layout: [(name: String, shape: [Int], type: GGMLType)],
                alignment: Int = GGUFFile.defaultAlignment) throws {
        self.path = path
        self.alignment = alignment
        var offset = 0
        var infos: [GGUFTensorInfo] = []
        for t in layout {
            guard case .success(let bytes) = GGUFTensorInfo.byteCount(shape: t.shape, type: t.type) else {
                throw GGUFError(file: path, field: "tensor '\(t.name)'", problem: "shape \(t.shape) does not fit \(t.type)")
            }
            infos.append(GGUFTensorInfo(name: t.name, shape: t.shape, type: t.type, offset: offset, byteCount: bytes))
            offset = GGUFWriter.align(offset + bytes, alignment)
        }
        tensors = infos
        let folder = (path as NSString).deletingLastPathComponent
        temporaryPath = (folder.isEmpty ? "." : folder) + "/." + (path as NSString).lastPathComponent + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil), let handle = FileHandle(forWritingAtPath: temporaryPath) else {
            throw GGUFError(file: path, field: "file", problem: "cannot create \(temporaryPath)")
        }
        self.handle = handle
        let header = GGUFWriter.header(metadata: metadata, tensors: infos, alignment: alignment)
        dataStart = header.count
        do { try handle.write(contentsOf: header) } catch {
            discard()
            throw error
        }
        written = header.count
    }

    deinit { if !done { discard() } }

    /// Appends the next tensor's data; it must be exactly that tensor's byte count.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard next < tensors.count else { throw GGUFError(file: path, field: "tensor data", problem: "more tensors than the header lists") }
        let info = tensors[next]
        guard bytes.count == info.byteCount else {
            throw GGUFError(file: path, field: "tensor '\(info.name)'", problem: "has \(bytes.count) bytes, needs \(info.byteCount)")
        }
        let padding = dataStart + info.offset - written
        if padding > 0 { try handle.write(contentsOf: Data(count: padding)) }
        try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!), count: bytes.count, deallocator: .none))
        written += padding + bytes.count
        next += 1
    }

    /// Leaves the next tensor's place empty, for `fill` once its data is known (a tensor
    /// computed after the ones that follow it in the file).
    public func skip() throws {
        guard next < tensors.count else { throw GGUFError(file: path, field: "tensor data", problem: "more tensors than the header lists") }
        let info = tensors[next]
        written = dataStart + info.offset + info.byteCount
        try handle.seek(toOffset: UInt64(written))
        pending.insert(next)
        next += 1
    }

    /// Writes the data of tensor `index`, which `skip` passed over, in its place.
    public func fill(_ index: Int, _ bytes: UnsafeRawBufferPointer) throws {
        guard pending.contains(index) else { throw GGUFError(file: path, field: "tensor data", problem: "tensor \(index) was not skipped") }
        let info = tensors[index]
        guard bytes.count == info.byteCount else {
            throw GGUFError(file: path, field: "tensor '\(info.name)'", problem: "has \(bytes.count) bytes, needs \(info.byteCount)")
        }
        try handle.seek(toOffset: UInt64(dataStart + info.offset))
        try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!), count: bytes.count, deallocator: .none))
        try handle.seek(toOffset: UInt64(written))
        pending.remove(index)
    }

    /// Pads the end, flushes, and renames the file into place.
    public func finish() throws {
        guard next == tensors.count, pending.isEmpty else {
            throw GGUFError(file: path, field: "tensor data", problem: "\(tensors.count - next + pending.count) tensors were not written")
        }
        let end = GGUFWriter.align(written, alignment)
        if end > written { try handle.write(contentsOf: Data(count: end - written)) }
        try handle.synchronize()
        try handle.close()
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw GGUFError(file: path, field: "file", problem: "cannot rename the finished file into place: \(reason)")
        }
        done = true
    }

    /// Removes the temporary file (after a failure or an interruption).
    public func discard() {
        try? handle.close()
        unlink(temporaryPath)
        done = true
    }
}
