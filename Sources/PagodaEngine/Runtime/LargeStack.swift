import Foundation

/// Runs `body` on a thread with a native stack of at least `bytes`, and waits for it. For
/// recursive work whose depth is bounded by a limit rather than by the caller's stack
/// (which may be a 512 KiB worker's): the limit can then be set against a known size.
///
/// One long-lived thread per stack size serves every call, one at a time (a call made from
/// that thread runs in place), so a call costs a hand-off, not a thread start. Stack pages
/// are touched only as used.
func withLargeStack<T>(bytes: Int, _ body: @escaping () throws -> T) throws -> T {
    let worker = LargeStackWorker.shared(bytes: bytes)
    if worker.isCurrent { return try body() }
    let job = StackJob(body)
    worker.submit(job.run)
    job.done.wait()
    return try job.result!.get()
}

/// A body and its result, handed to the worker and back. The caller waits while the
/// worker runs it, so nothing in it is used by two threads at once.
private final class StackJob<T>: @unchecked Sendable {
    let body: () throws -> T
    var result: Result<T, Error>?
    let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping () throws -> T) { self.body = body }

    func run() {
        result = Result { try body() }
        done.signal()
    }
}

/// A thread with a large stack that runs submitted jobs in order.
private final class LargeStackWorker: @unchecked Sendable {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var workers: [Int: LargeStackWorker] = [:]

    static func shared(bytes: Int) -> LargeStackWorker {
        lock.lock()
        defer { lock.unlock() }
        if let w = workers[bytes] { return w }
        let w = LargeStackWorker(bytes: bytes)
        workers[bytes] = w
        return w
    }

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var thread: Thread!

    private init(bytes: Int) {
        thread = Thread { [unowned self] in self.serve() }
        thread.stackSize = bytes
        thread.name = "pagoda.large-stack"
        thread.start()
    }

    var isCurrent: Bool { Thread.current == thread }

    func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
