import Foundation
import Synchronization

/// A pool of worker threads for the forward pass: `run` hands every thread (the caller
/// included) its part of one operation and returns when all parts are done. Workers spin
/// briefly between operations (a token's operations come microseconds apart) and then sleep
/// on a condition variable, so an idle pool costs nothing.
///
/// Each owner makes its own pool (an engine, a quantizer run); the workers stop when the
/// pool is released. Cost per `run`: one atomic increment to wake spinning workers (plus a
/// broadcast if any sleep), and a spin on a counter until they finish.
///
/// Not reentrant: one `run` at a time, from one thread at a time. A second `run` while one
/// is in flight (from a part's body, or another thread) is a programming error and stops
/// the process with a message, instead of deadlocking or mixing two jobs' parts.
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int
    private let shared: Shared

    /// Spins a worker makes looking for the next operation before it sleeps: about a
    /// millisecond, longer than the gaps between one token's operations.
    static let spinsBeforeSleeping = 200_000

    /// What the workers hold: the pool itself is not retained by its threads, so releasing
    /// it stops them.
    final class Shared: @unchecked Sendable {
        let generation = Atomic<Int>(0)
        let pending = Atomic<Int>(0)
        let sleepers = Atomic<Int>(0)
        let running = Atomic<Bool>(false)
        let stopping = Atomic<Bool>(false)
        /// Workers whose loop has not returned yet.
        let alive = Atomic<Int>(0)
        var job: ((Int) -> Void)?
        let condition = NSCondition()

        func wakeSleepers() {
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                condition.lock()
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// Threads this machine can run at once.
    public static var availableCores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// `threads` workers in all (at least 1), the calling thread being one (so `threads - 1`
    /// are started).
    public init(threads: Int) {
        threadCount = max(1, threads)
        shared = Shared()
        for index in 1..<threadCount {
            let shared = self.shared
            shared.alive.add(1, ordering: .sequentiallyConsistent)
            let thread = Thread { Self.work(index, shared) }
            thread.name = "pagoda-worker-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit {
        shared.stopping.store(true, ordering: .sequentiallyConsistent)
        shared.generation.add(1, ordering: .sequentiallyConsistent)
        shared.condition.lock()
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// Workers still running (for tests).
    var aliveWorkers: Int { shared.alive.load(ordering: .sequentiallyConsistent) }
    /// The state the workers hold; freed once the last of them has returned (for tests).
    var sharedForTests: AnyObject { shared }

    /// Calls `body(part)` for every part in `0..<threadCount`, in parallel, and returns when
    /// all have finished. A closure literal costs one heap allocation for its captures; hot
    /// paths pass a closure made once (see `ProductRunner`'s job) and allocate nothing.
    public func run(_ body: @escaping (Int) -> Void) {
        guard threadCount > 1 else { return body(0) }
        let s = shared
        precondition(s.running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged,
                     "ThreadPool.run called while another run of the same pool is in flight")
        defer { s.running.store(false, ordering: .releasing) }
        s.job = body
        s.pending.store(threadCount - 1, ordering: .releasing)
        s.generation.add(1, ordering: .sequentiallyConsistent)
        s.wakeSleepers()
        body(0)
        while s.pending.load(ordering: .acquiring) > 0 {}
        s.job = nil
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

    private static func work(_ index: Int, _ s: Shared) {
        defer { s.alive.subtract(1, ordering: .sequentiallyConsistent) }
        var seen = 0
        while true {
            var spins = 0
            var current = s.generation.load(ordering: .acquiring)
            while current == seen {
                spins += 1
                if spins < spinsBeforeSleeping {
                    current = s.generation.load(ordering: .acquiring)
                    continue
                }
                s.condition.lock()
                s.sleepers.add(1, ordering: .sequentiallyConsistent)
                while s.generation.load(ordering: .sequentiallyConsistent) == seen { s.condition.wait() }
                s.sleepers.subtract(1, ordering: .sequentiallyConsistent)
                s.condition.unlock()
                current = s.generation.load(ordering: .acquiring)
                spins = 0
            }
            if s.stopping.load(ordering: .sequentiallyConsistent) { return }
            seen = current
            s.job?(index)
            s.pending.subtract(1, ordering: .releasing)
        }
    }
}
