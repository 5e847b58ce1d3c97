#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Read-only bytes that stay at one address for the object's lifetime: a memory-mapped
/// file (the pages are the OS page cache; nothing is copied) or an owned copy of `Data`.
public final class MappedBytes: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let count: Int
    private let release: () -> Void

    /// Maps `path` read-only. Throws `GGUFError`-style messages through `MappedBytesError`.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw MappedBytesError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw MappedBytesError(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw MappedBytesError(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            let empty = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64)
            base = UnsafeRawPointer(empty)
            count = 0
            release = { empty.deallocate() }
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw MappedBytesError(path: path, reason: "mmap failed: " + String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(address)
        count = size
        release = { munmap(address, size) }
    }

    /// Copies `data` into a 64-byte-aligned buffer owned by this object.
    public init(copying data: Data) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        data.withUnsafeBytes { raw in
            if let source = raw.baseAddress { buffer.copyMemory(from: source, byteCount: raw.count) }
        }
        base = UnsafeRawPointer(buffer)
        count = data.count
        release = { buffer.deallocate() }
    }

    deinit { release() }

    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

public struct MappedBytesError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): cannot open: \(reason)" }
}
