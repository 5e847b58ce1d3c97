import Foundation
import Synchronization

/// A persistent pool of worker threads for the forward pass: `run` hands every thread
/// (the caller included) its part of one operation and returns when all parts are done.
/// Workers spin briefly between operations (a token's operations come microseconds apart)
/// and then sleep on a condition variable, so an idle pool costs nothing.
///
/// Cost per `run`: one atomic increment to wake spinning workers (plus a broadcast if any
/// sleep), and a spin on a counter until they finish. Not reentrant: one `run` at a time.
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private var job: ((Int) -> Void)?
    private let condition = NSCondition()
    private var workers: [Thread] = []

    nonisolated(unsafe) private static var pools: [Int: ThreadPool] = [:]
    private static let poolsLock = NSLock()

    /// The process-wide pool of `threads` threads. Pools live as long as the process: their
    /// workers sleep when idle.
    public static func shared(threads: Int) -> ThreadPool {
        poolsLock.lock()
        defer { poolsLock.unlock() }
        if let pool = pools[threads] { return pool }
        let pool = ThreadPool(threads: threads)
        pools[threads] = pool
        return pool
    }

    /// Threads this machine can run at once.
    public static var availableCores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// `threads` workers in all, the calling thread being one (so `threads - 1` are started).
    private init(threads: Int) {
        threadCount = max(1, threads)
        for index in 1..<threadCount {
            let thread = Thread { [unowned self] in self.work(index) }
            thread.name = "pagoda-worker-\(index)"
            thread.stackSize = 1 << 20
            workers.append(thread)
            thread.start()
        }
    }

    /// Calls `body(part)` for every part in `0..<threadCount`, in parallel, and returns when
    /// all have finished. A closure literal costs one heap allocation for its captures; hot
    /// paths pass a closure made once (see `Transformer`'s product job) and allocate nothing.
    public func run(_ body: @escaping (Int) -> Void) {
        guard threadCount > 1 else { return body(0) }
        job = body
        pending.store(threadCount - 1, ordering: .releasing)
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
        body(0)
        while pending.load(ordering: .acquiring) > 0 {}
    }

    /// Splits `0..<count` into one contiguous range per thread and runs `body` on each.
    public func parallelFor(_ count: Int, _ body: @escaping (Range<Int>) -> Void) {
        let parts = threadCount
        guard parts > 1, count > 1 else { return body(0..<count) }
        run { part in
            let start = count * part / parts, end = count * (part + 1) / parts
            if start < end { body(start..<end) }
        }
    }

    private func work(_ index: Int) {
        var seen = 0
        while true {
            var spins = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                spins += 1
                if spins < 200_000 {
                    current = generation.load(ordering: .acquiring)
                    continue
                }
                condition.lock()
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen { condition.wait() }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                condition.unlock()
                current = generation.load(ordering: .acquiring)
                spins = 0
            }
            seen = current
            job?(index)
            pending.subtract(1, ordering: .releasing)
        }
    }
}
