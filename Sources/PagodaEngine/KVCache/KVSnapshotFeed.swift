import Foundation

/// Hands KV cache snapshots to any number of subscribers as the cache changes. Each
/// subscriber's stream keeps only the newest snapshot, so a slow reader costs one snapshot
/// of memory, never a queue; snapshots are made only while someone subscribes.
final class KVSnapshotFeed: @unchecked Sendable {
    /// The least time between two throttled snapshots (20 a second: a live block map).
    static let minimumInterval: UInt64 = 50_000_000

    private let lock = NSLock()
    private var subscribers: [Int: AsyncStream<KVCacheSnapshot>.Continuation] = [:]
    private var nextID = 0
    private var lastSent: UInt64 = 0

    /// A stream that starts with `current` and ends when its consumer stops reading.
    func subscribe(current: KVCacheSnapshot) -> AsyncStream<KVCacheSnapshot> {
        let (stream, continuation) = AsyncStream<KVCacheSnapshot>.makeStream(bufferingPolicy: .bufferingNewest(1))
        lock.lock()
        let id = nextID
        nextID += 1
        subscribers[id] = continuation
        lock.unlock()
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            lock.lock()
            subscribers[id] = nil
            lock.unlock()
        }
        continuation.yield(current)
        return stream
    }

    /// Makes a snapshot with `make` and sends it to every subscriber; when `throttled`,
    /// only if the last was sent at least `minimumInterval` ago. Nothing without subscribers.
    func publish(throttled: Bool, _ make: () -> KVCacheSnapshot) {
        lock.lock()
        let now = DispatchTime.now().uptimeNanoseconds
        guard !subscribers.isEmpty, !throttled || now - lastSent >= Self.minimumInterval else {
            lock.unlock()
            return
        }
        lastSent = now
        let targets = Array(subscribers.values)
        lock.unlock()
        let snapshot = make()
        for continuation in targets { continuation.yield(snapshot) }
    }
}
