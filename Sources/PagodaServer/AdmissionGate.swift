/// At most `limit` requests generate at once; up to `queueLimit` more wait, in order, for a
/// place; past that a request is refused at once (503) rather than queued without bound.
actor AdmissionGate {
    let limit: Int
    let queueLimit: Int
    private(set) var inside = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int, queueLimit: Int) {
        self.limit = max(1, limit)
        self.queueLimit = max(0, queueLimit)
    }

    var waiting: Int { waiters.count }

    /// Takes a place, waiting for one if all are taken; throws `APIError.busy` when the queue
    /// is full too.
    func enter() async throws {
        if inside < limit {
            inside += 1
            return
        }
        guard waiters.count < queueLimit else { throw APIError.busy(waiting: waiters.count) }
        await withCheckedContinuation { waiters.append($0) }
        // The place was handed over by `leave`, already counted.
    }

    /// Gives the place to the first waiter, or frees it.
    func leave() {
        if waiters.isEmpty {
            inside = max(0, inside - 1)
        } else {
            waiters.removeFirst().resume()
        }
    }
}
