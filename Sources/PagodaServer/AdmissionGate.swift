import Foundation

/// At most `limit` requests generate at once; up to `queueLimit` more wait, in order, for a
/// place; past that a request is refused at once (503) rather than queued without bound.
/// `leave` is synchronous, so a place is free before the reply that gave it back is sent.
final class AdmissionGate: @unchecked Sendable {
    let limit: Int
    let queueLimit: Int
    private let lock = NSLock()
    private var inside = 0
    private var waiters: [CheckedContinuation<Bool, Never>] = []

    init(limit: Int, queueLimit: Int) {
        self.limit = max(1, limit)
        self.queueLimit = max(0, queueLimit)
    }

    var waiting: Int {
        lock.lock()
        defer { lock.unlock() }
        return waiters.count
    }

    /// Takes a place, waiting for one if all are taken; throws `APIError.busy` when the queue
    /// is full too. The decision is made under the lock with the waiter registered, so a
    /// place given back meanwhile is never missed.
    func enter() async throws {
        let admitted = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            lock.lock()
            if inside < limit {
                inside += 1
                lock.unlock()
                c.resume(returning: true)
            } else if waiters.count >= queueLimit {
                lock.unlock()
                c.resume(returning: false)
            } else {
                waiters.append(c)  // handed a place by `leave`, already counted
                lock.unlock()
            }
        }
        if !admitted { throw APIError.busy(waiting: queueLimit) }
    }

    /// Gives the place to the first waiter, or frees it.
    func leave() {
        lock.lock()
        if waiters.isEmpty {
            inside = max(0, inside - 1)
            lock.unlock()
        } else {
            let next = waiters.removeFirst()
            lock.unlock()
            next.resume(returning: true)
        }
    }
}
