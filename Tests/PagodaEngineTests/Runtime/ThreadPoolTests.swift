import Foundation
import Synchronization
import XCTest
@testable import PagodaEngine

/// The pool's contract: every part of every run runs exactly once and `run` returns only
/// after all have finished, whether the workers were spinning or asleep; pools are
/// independent; a released pool's workers stop.
final class ThreadPoolTests: XCTestCase {
    func testEveryPartRunsOnceAndRunReturnsAfterAll() {
        for threads in [1, 2, 3, 5] {
            let pool = ThreadPool(threads: threads)
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
            defer { counts.deallocate() }
            counts.initialize(repeating: 0)
            for _ in 0..<2000 {
                pool.run { part in counts[part] += 1 }
            }
            XCTAssertEqual(Array(counts), Array(repeating: 2000, count: threads), "\(threads) threads")
        }
    }

    func testWorkersThatFellAsleepWakeForTheNextRun() {
        let pool = ThreadPool(threads: 3)
        let done = Atomic<Int>(0)
        for _ in 0..<3 {
            // Longer than the spin: the workers are asleep on the condition variable.
            Thread.sleep(forTimeInterval: 0.05)
            pool.run { _ in done.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(done.load(ordering: .relaxed), 9)
    }

    func testParallelForCoversTheRangeOnceInContiguousParts() {
        let pool = ThreadPool(threads: 3)
        for count in [0, 1, 2, 7, 1000] {
            let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(1, count))
            defer { seen.deallocate() }
            seen.initialize(repeating: 0)
            pool.parallelFor(count) { range in for i in range { seen[i] += 1 } }
            XCTAssertEqual(Array(seen.prefix(count)), Array(repeating: 1, count: count), "\(count)")
        }
    }

    func testTwoPoolsOfTheSameSizeAreIndependent() {
        let a = ThreadPool(threads: 2), b = ThreadPool(threads: 2)
        XCTAssertFalse(a === b)
        let total = Atomic<Int>(0)
        // Two engines' passes at once, each on its own pool (one shared pool would see two
        // runs in flight and stop the process).
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            for _ in 0..<500 { (i == 0 ? a : b).run { _ in total.add(1, ordering: .relaxed) } }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 2 * 500 * 2)
    }

    func testAReleasedPoolStopsItsWorkers() throws {
        var pool: ThreadPool? = ThreadPool(threads: 4)
        pool!.run { _ in }
        weak let shared = pool!.sharedForTests
        XCTAssertEqual(pool!.aliveWorkers, 3)
        pool = nil
        let deadline = Date().addingTimeInterval(5)
        while shared != nil, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertNil(shared, "every worker returned and let go of the pool's state")
    }
}
