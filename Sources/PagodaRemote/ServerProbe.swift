import Foundation
import PagodaEngine
import PagodaTUI

/// Finds out what kind of server is behind the URL and reads the figures it exposes:
/// `pagoda serve`'s block map (`/v1/kv`) and metrics, vLLM's `/metrics`, llama-server's
/// `/slots` and `/metrics`, Ollama's `/api/ps`; for any other server, nothing (each
/// response's usage is then all there is). Detected from what answers, never configured.
struct ServerProbe: Sendable {
    let server: RemoteServer

    /// What one reading found.
    struct Reading: Sendable {
        var report: ServerReport
        var kv: KVCacheSnapshot?
        /// `pagoda serve`'s requests in flight and the sequence each holds, by response id.
        var holders: [String: SequenceID] = [:]
    }

    /// The server's kind, from which of its endpoints answer and how. Throws when the server
    /// cannot be reached at all.
    func detect() async throws -> ServerReport.Kind {
        // Whether the server answers at all, whatever it says (a 401 is an answer), before
        // the probes: an address that does not answer would cost each probe its timeout.
        _ = try await server.get("/models", from: server.api)
        if let kv = try? await server.get("/v1/kv"), kv.status == 200, (try? Self.decodeKV(kv.body)) != nil { return .pagoda }
        if let metrics = try? await server.get("/metrics"), metrics.status == 200 {
            let text = PrometheusText(String(decoding: metrics.body, as: UTF8.self))
            if text.has(prefix: "vllm:") { return .vllm }
            if text.has(prefix: "llamacpp:") { return .llamaServer }
        }
        if let props = try? await server.get("/props"), props.status == 200,
           let object = try? JSONSerialization.jsonObject(with: props.body) as? [String: Any], object["default_generation_settings"] != nil {
            return .llamaServer
        }
        if let version = try? await server.get("/api/version"), version.status == 200,
           let object = try? JSONSerialization.jsonObject(with: version.body) as? [String: Any], object["version"] is String {
            return .ollama
        }
        return .openAI
    }

    /// The figures a server of `kind` exposes now. A figure that could not be read is left
    /// out and `problem` says why.
    func read(_ kind: ServerReport.Kind) async -> Reading {
        var report = ServerReport(kind: kind, address: server.address, source: "each reply's usage")
        var kv: KVCacheSnapshot?
        var holders: [String: SequenceID] = [:]
        do {
            switch kind {
            case .pagoda:
                report.source = "/v1/kv, /metrics"
                let answer = try await server.get("/v1/kv")
                guard answer.status == 200 else { throw RemoteError.status(answer.status, body: answer.body, model: nil) }
                (kv, holders) = try Self.decodeKVMap(answer.body)
                Self.readPagodaMetrics(try await metrics(), into: &report)
            case .vllm:
                report.source = "/metrics"
                Self.readVLLMMetrics(try await metrics(), into: &report)
            case .llamaServer:
                var sources: [String] = []
                if let slots = try? await server.get("/slots"), slots.status == 200 {
                    report.slots = Self.slots(slots.body)
                    sources.append("/slots")
                }
                if let text = try? await metrics() {
                    Self.readLlamaMetrics(text, into: &report)
                    sources.append("/metrics")
                }
                sources.append("timings")
                report.source = sources.joined(separator: ", ")
            case .ollama:
                report.source = "/api/ps, usage"
                let answer = try await server.get("/api/ps")
                if answer.status == 200 { report.loaded = Self.loadedModels(answer.body) }
            case .openAI:
                break
            }
        } catch {
            report.problem = "\(error)"
        }
        return Reading(report: report, kv: kv, holders: holders)
    }

    private func metrics() async throws -> PrometheusText {
        let answer = try await server.get("/metrics")
        guard answer.status == 200 else { throw RemoteError.status(answer.status, body: answer.body, model: nil) }
        return PrometheusText(String(decoding: answer.body, as: UTF8.self))
    }

    // MARK: - Each server's figures

    /// `pagoda serve`'s `/v1/kv`: the snapshot its chat draws.
    static func decodeKV(_ body: Data) throws -> KVCacheSnapshot {
        try decodeKVMap(body).snapshot
    }

    /// The same, with the sequence each request in flight holds, by response id (the `id`
    /// of its chunks). A server that names no requests gives none.
    static func decodeKVMap(_ body: Data) throws -> (snapshot: KVCacheSnapshot, holders: [String: SequenceID]) {
        struct Holder: Decodable {
            var request: String
            var sequence: SequenceID
        }
        struct Map: Decodable {
            var snapshot: KVCacheSnapshot
            var requests: [Holder]?
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let map = try decoder.decode(Map.self, from: body)
        var holders: [String: SequenceID] = [:]
        for holder in map.requests ?? [] { holders[holder.request] = holder.sequence }
        return (map.snapshot, holders)
    }

    static func readPagodaMetrics(_ m: PrometheusText, into r: inout ServerReport) {
        r.kvUsage = m.sum("pagoda_kv_usage_ratio")
        r.kvBlocks = m.sum("pagoda_kv_blocks_total").map { Int($0) }
        r.blockTokens = m.sum("pagoda_kv_block_tokens").map { Int($0) }
        r.prefixQueries = m.sum("pagoda_prefix_cache_query_tokens_total")
        r.prefixHits = m.sum("pagoda_prefix_cache_hit_tokens_total")
        r.prefixHitRate = rate(r.prefixHits, r.prefixQueries)
        r.running = m.sum("pagoda_requests_running").map { Int($0) }
        r.waiting = m.sum("pagoda_requests_waiting").map { Int($0) }
        r.preemptions = m.sum("pagoda_preemptions_total").map { Int($0) }
        r.promptTokens = m.sum("pagoda_prompt_tokens_total")
        r.generatedTokens = m.sum("pagoda_generation_tokens_total")
    }

    /// vLLM's names, the V1 engine's first and the older ones where those are absent.
    static func readVLLMMetrics(_ m: PrometheusText, into r: inout ServerReport) {
        r.kvUsage = m.first("vllm:kv_cache_usage_perc")?.value ?? m.first("vllm:gpu_cache_usage_perc")?.value
        if let config = m.first("vllm:cache_config_info") {
            r.kvBlocks = config.labels["num_gpu_blocks"].flatMap { Int($0) }
            r.blockTokens = config.labels["block_size"].flatMap { Int($0) }
        }
        r.prefixQueries = m.sum("vllm:prefix_cache_queries_total")
        r.prefixHits = m.sum("vllm:prefix_cache_hits_total")
        r.prefixHitRate = rate(r.prefixHits, r.prefixQueries) ?? m.first("vllm:gpu_prefix_cache_hit_rate")?.value
        r.running = m.sum("vllm:num_requests_running").map { Int($0) }
        r.waiting = m.sum("vllm:num_requests_waiting").map { Int($0) }
        r.preemptions = m.sum("vllm:num_preemptions_total").map { Int($0) }
        r.promptTokens = m.sum("vllm:prompt_tokens_total")
        r.generatedTokens = m.sum("vllm:generation_tokens_total")
    }

    /// llama-server's `/metrics` (served with `--metrics`); its KV usage only where the
    /// version still exports it.
    static func readLlamaMetrics(_ m: PrometheusText, into r: inout ServerReport) {
        r.kvUsage = m.first("llamacpp:kv_cache_usage_ratio")?.value
        r.running = m.sum("llamacpp:requests_processing").map { Int($0) }
        r.waiting = m.sum("llamacpp:requests_deferred").map { Int($0) }
        r.promptTokens = m.sum("llamacpp:prompt_tokens_total")
        r.generatedTokens = m.sum("llamacpp:tokens_predicted_total")
    }

    /// llama-server's `/slots`: each slot's context and whether it is busy.
    static func slots(_ body: Data) -> [ServerReport.Slot] {
        guard let list = try? JSONSerialization.jsonObject(with: body) as? [[String: Any]] else { return [] }
        return list.prefix(64).compactMap { slot in
            guard let id = (slot["id"] as? NSNumber)?.intValue else { return nil }
            let next = (slot["next_token"] as? [[String: Any]])?.first ?? (slot["next_token"] as? [String: Any])
            let processing = (slot["is_processing"] as? Bool) ?? ((slot["state"] as? NSNumber).map { $0.intValue != 0 } ?? false)
            return ServerReport.Slot(id: id, contextTokens: (slot["n_ctx"] as? NSNumber)?.intValue ?? 0, processing: processing,
                                     decoded: (next?["n_decoded"] as? NSNumber)?.intValue)
        }
    }

    /// Ollama's `/api/ps`: the models it holds, their size and the part on the GPU.
    static func loadedModels(_ body: Data) -> [ServerReport.LoadedModel] {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let models = object["models"] as? [[String: Any]] else { return [] }
        return models.prefix(16).map { m in
            ServerReport.LoadedModel(name: UntrustedText.escaped((m["name"] as? String) ?? "?", limit: 60),
                                     bytes: (m["size"] as? NSNumber)?.intValue ?? 0, videoBytes: (m["size_vram"] as? NSNumber)?.intValue ?? 0,
                                     contextTokens: (m["context_length"] as? NSNumber)?.intValue)
        }
    }

    private static func rate(_ hits: Double?, _ queries: Double?) -> Double? {
        guard let hits, let queries, queries > 0 else { return nil }
        return hits / queries
    }
}
