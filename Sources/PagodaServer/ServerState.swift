import Foundation
import Logging
import PagodaEngine

/// What the endpoints share: the engine, the admission gate, and the server's own figures
/// (requests live and done, time to first token). Thread-safe.
final class ServerState: @unchecked Sendable {
    let engine: Engine
    let options: ServerOptions
    let gate: AdmissionGate
    let logger: Logger
    /// The name `/v1/models` lists and requests may give: the file name without `.gguf`.
    let modelID: String
    let started = Date()

    private let lock = NSLock()
    private var nextRequest = 1
    private var live: [String: SequenceID] = [:]
    private(set) var ttft = Histogram(bounds: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
    private var statuses: [Int: Int] = [:]
    private var lastRate: (time: Date, tokens: Int)?

    init(engine: Engine, options: ServerOptions, logger: Logger) {
        self.engine = engine
        self.options = options
        self.logger = logger
        gate = AdmissionGate(limit: options.parallel, queueLimit: options.queueLimit)
        let file = engine.facts.fileName
        modelID = file.hasSuffix(".gguf") ? String(file.dropLast(5)) : file
    }

    /// Whether a request's `model` names this server's model (its id or file name); none given
    /// means this one.
    func serves(_ model: String?) -> Bool {
        guard let model else { return true }
        return model == modelID || model == engine.facts.fileName
    }

    func newRequestID(_ prefix: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        nextRequest += 1
        return "\(prefix)-\(nextRequest - 1)"
    }

    func began(_ id: String, _ sequence: SequenceID) { locked { live[id] = sequence } }
    func ended(_ id: String) { locked { _ = live.removeValue(forKey: id) } }
    func liveRequests() -> [String: SequenceID] { locked { live } }

    func answered(status: Int, firstToken seconds: Double?) {
        locked {
            statuses[status, default: 0] += 1
            if let seconds { ttft.observe(seconds) }
        }
    }

    func statusCounts() -> [Int: Int] { locked { statuses } }
    func ttftHistogram() -> Histogram { locked { ttft } }

    /// Tokens generated per second since the previous call (the previous scrape).
    func generationRate(_ tokens: Int) -> Double {
        locked {
            let now = Date()
            defer { lastRate = (now, tokens) }
            guard let last = lastRate else { return 0 }
            let seconds = now.timeIntervalSince(last.time)
            return seconds > 0 ? Double(tokens - last.tokens) / seconds : 0
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

/// Cumulative buckets, as Prometheus histograms count.
struct Histogram: Sendable {
    let bounds: [Double]
    private(set) var counts: [Int]
    private(set) var sum = 0.0
    private(set) var total = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count)
    }

    mutating func observe(_ value: Double) {
        for (i, bound) in bounds.enumerated() where value <= bound { counts[i] += 1 }
        sum += value
        total += 1
    }
}
