import Foundation
import Hummingbird
import PagodaEngine

/// `GET /metrics` (Prometheus text, version 0.0.4) and `GET /v1/kv` (the block map as JSON):
/// what the KV cache holds and what the scheduler did, read at the moment of the request.
struct MetricsEndpoint: Sendable {
    let state: ServerState

    func metrics() -> Response {
        let kv = state.engine.kvSnapshot()
        let c = state.engine.counters()
        let waitingAtGate = state.gate.waiting
        var out = MetricsText()
        out.gauge("pagoda_kv_blocks_total", "Blocks in the KV pool.", kv.totalBlocks)
        out.gauge("pagoda_kv_blocks_used", "Blocks held by a sequence.", kv.usedBlocks)
        out.gauge("pagoda_kv_blocks_cached", "Free blocks holding a prefix the cache can revive.", kv.cachedFreeBlocks)
        out.gauge("pagoda_kv_blocks_free", "Blocks holding nothing.", kv.freeBlocks)
        out.gauge("pagoda_kv_blocks_shared", "Blocks held by more than one sequence.", kv.sharedBlocks)
        out.gauge("pagoda_kv_usage_ratio", "Used blocks over all blocks.", kv.totalBlocks > 0 ? Double(kv.usedBlocks) / Double(kv.totalBlocks) : 0)
        out.gauge("pagoda_kv_block_tokens", "Tokens per block.", kv.layout.blockTokens)
        out.gauge("pagoda_kv_block_bytes", "Bytes per block (every layer's keys and values).", kv.layout.bytesPerBlock)
        out.counter("pagoda_prefix_cache_query_tokens_total", "Prompt tokens looked up in the prefix cache.", c.prefixQueryTokens)
        out.counter("pagoda_prefix_cache_hit_tokens_total", "Prompt tokens found in cached blocks.", c.prefixHitTokens)
        out.counter("pagoda_prefix_cache_hit_blocks_total", "Cached blocks reused.", c.prefixHitBlocks)
        out.counter("pagoda_preemptions_total", "Sequences emptied to make room in a full pool.", c.preemptions)
        out.counter("pagoda_copy_on_write_total", "Shared blocks copied before a write.", kv.copyOnWriteCount)
        out.gauge("pagoda_requests_running", "Requests in the engine's batches.", c.running)
        out.gauge("pagoda_requests_waiting", "Requests waiting for room in the pool or a place at the server.", c.waiting + waitingAtGate)
        out.counter("pagoda_prompt_tokens_total", "Prompt tokens of admitted requests.", c.promptTokens)
        out.counter("pagoda_generation_tokens_total", "Tokens sampled.", c.generatedTokens)
        out.gauge("pagoda_generation_tokens_per_second", "Tokens sampled per second since the previous scrape.", state.generationRate(c.generatedTokens))
        out.counter("pagoda_engine_steps_total", "Forward passes.", c.steps)
        out.counter("pagoda_engine_batched_sequences_total", "Sequences carried by forward passes, summed (divide by steps: mean batch).", c.batchedSequences)
        out.counter("pagoda_engine_batched_tokens_total", "Tokens carried by forward passes, summed.", c.batchedTokens)
        for (status, n) in state.statusCounts().sorted(by: { $0.key < $1.key }) {
            out.sample("pagoda_http_requests_total", labels: "status=\"\(status)\"", Double(n), help: "Completion requests answered, by status.", type: "counter")
        }
        out.histogram("pagoda_time_to_first_token_seconds", "Seconds from a request's arrival to its first token.", state.ttftHistogram())
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: out.text)))
    }

    /// The snapshot the chat's block map draws, and which request holds which sequence.
    struct KVMap: Encodable {
        struct Holder: Encodable {
            var request: String
            var sequence: SequenceID
        }

        var snapshot: KVCacheSnapshot
        var requests: [Holder]
    }

    func kv() -> Response {
        let holders = state.liveRequests().sorted { $0.key < $1.key }.map { KVMap.Holder(request: $0.key, sequence: $0.value) }
        return WireJSON.response(KVMap(snapshot: state.engine.kvSnapshot(), requests: holders))
    }
}

/// Prometheus's text exposition format, one family at a time.
struct MetricsText {
    private(set) var text = ""
    private var described: Set<String> = []

    mutating func gauge(_ name: String, _ help: String, _ value: some BinaryInteger) { sample(name, Double(value), help: help, type: "gauge") }
    mutating func gauge(_ name: String, _ help: String, _ value: Double) { sample(name, value, help: help, type: "gauge") }
    mutating func counter(_ name: String, _ help: String, _ value: some BinaryInteger) { sample(name, Double(value), help: help, type: "counter") }

    mutating func sample(_ name: String, labels: String? = nil, _ value: Double, help: String, type: String) {
        if described.insert(name).inserted {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        text += name + (labels.map { "{\($0)}" } ?? "") + " " + Self.number(value) + "\n"
    }

    mutating func histogram(_ name: String, _ help: String, _ h: Histogram) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (bound, count) in zip(h.bounds, h.counts) { text += "\(name)_bucket{le=\"\(Self.number(bound))\"} \(count)\n" }
        text += "\(name)_bucket{le=\"+Inf\"} \(h.total)\n\(name)_sum \(Self.number(h.sum))\n\(name)_count \(h.total)\n"
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }
}
