import Foundation

/// Asks a generation to stop before its next token; set from any thread.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    public init() {}
    public func stop() { lock.lock(); value = true; lock.unlock() }
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
