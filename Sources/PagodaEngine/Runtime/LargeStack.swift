import Foundation

/// Runs `body` on a new thread with a native stack of `bytes`, and waits for it. For
/// recursive work whose depth is bounded by a limit rather than by the caller's stack
/// (which may be a 512 KiB worker's): the limit can then be set against a known size.
/// Costs one thread start (tens of microseconds); stack pages are touched only as used.
func withLargeStack<T>(bytes: Int, _ body: @escaping () throws -> T) throws -> T {
    let handoff = StackHandoff(body)
    let thread = Thread { handoff.run() }
    thread.stackSize = bytes
    thread.start()
    handoff.done.wait()
    return try handoff.result!.get()
}

/// The body and its result, passed to the thread and back. The caller waits while the
/// thread runs, so nothing in it is used by two threads at once.
private final class StackHandoff<T>: @unchecked Sendable {
    let body: () throws -> T
    var result: Result<T, Error>?
    let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping () throws -> T) { self.body = body }

    func run() {
        result = Result { try body() }
        done.signal()
    }
}
