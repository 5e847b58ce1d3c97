import Foundation

/// This process's memory as the kernel counts it.
public enum ProcessMemory {
    /// Resident set size in bytes (pages in RAM, mapped model weights included), from
    /// `/proc/self/statm`; nil where that file does not exist. One small read: safe to call
    /// every second.
    public static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .ascii) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
