import XCTest
@testable import PagodaRemote
import PagodaTUI

/// Metrics as the servers print them (names and shapes of vLLM 0.10's V1 engine, an older
/// vLLM, llama-server with --metrics), read into the pane's figures.
final class PrometheusTextTests: XCTestCase {
    static let vllm = """
    # HELP vllm:num_requests_running Number of requests in model execution batches.
    # TYPE vllm:num_requests_running gauge
    vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-0.6B"} 3.0
    vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen3-0.6B"} 1.0
    vllm:kv_cache_usage_perc{engine="0",model_name="Qwen/Qwen3-0.6B"} 0.4375
    vllm:prefix_cache_queries_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 2048.0
    vllm:prefix_cache_hits_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 512.0
    vllm:num_preemptions_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 2.0
    vllm:prompt_tokens_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 4096.0
    vllm:generation_tokens_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 1234.0
    vllm:cache_config_info{block_size="16",cache_dtype="auto",engine="0",num_gpu_blocks="27000"} 1.0
    vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="Qwen/Qwen3-0.6B"} 0.0
    """

    func testVLLMFigures() {
        var r = ServerReport(kind: .vllm, address: "gpu:8000", source: "/metrics")
        ServerProbe.readVLLMMetrics(PrometheusText(Self.vllm), into: &r)
        XCTAssertEqual(r.kvUsage, 0.4375)
        XCTAssertEqual(r.kvBlocks, 27000)
        XCTAssertEqual(r.blockTokens, 16)
        XCTAssertEqual(r.prefixHitRate, 0.25)
        XCTAssertEqual(r.running, 3)
        XCTAssertEqual(r.waiting, 1)
        XCTAssertEqual(r.preemptions, 2)
        XCTAssertEqual(r.promptTokens, 4096)
        XCTAssertEqual(r.generatedTokens, 1234)
    }

    /// vLLM before its V1 engine: a GPU usage gauge and a hit-rate gauge instead of counts.
    func testOlderVLLMNames() {
        let text = """
        vllm:gpu_cache_usage_perc{model_name="m"} 0.125
        vllm:gpu_prefix_cache_hit_rate{model_name="m"} 0.5
        """
        var r = ServerReport(kind: .vllm, address: "gpu:8000", source: "/metrics")
        ServerProbe.readVLLMMetrics(PrometheusText(text), into: &r)
        XCTAssertEqual(r.kvUsage, 0.125)
        XCTAssertEqual(r.prefixHitRate, 0.5)
        XCTAssertNil(r.prefixQueries)
    }

    func testLlamaServerFigures() {
        let text = """
        # HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
        # TYPE llamacpp:prompt_tokens_total counter
        llamacpp:prompt_tokens_total 300
        llamacpp:tokens_predicted_total 120
        llamacpp:requests_processing 1
        llamacpp:requests_deferred 0
        llamacpp:kv_cache_usage_ratio 0.0625
        """
        var r = ServerReport(kind: .llamaServer, address: "box:8080", source: "")
        let m = PrometheusText(text)
        XCTAssertTrue(m.has(prefix: "llamacpp:"))
        XCTAssertFalse(m.has(prefix: "vllm:"))
        ServerProbe.readLlamaMetrics(m, into: &r)
        XCTAssertEqual(r.kvUsage, 0.0625)
        XCTAssertEqual(r.running, 1)
        XCTAssertEqual(r.waiting, 0)
        XCTAssertEqual(r.promptTokens, 300)
        XCTAssertEqual(r.generatedTokens, 120)
    }

    /// Series of one name add up; labels with quotes, escapes and braces in values are read
    /// whole; timestamps, special values and junk lines do no harm.
    func testSamplesLabelsAndOddLines() throws {
        let m = PrometheusText("""
        a_total{x="1"} 2
        a_total{x="2"} 3 1700000000000
        b{path="/v1/{id}",note="say \\"hi\\"\\n"} +Inf
        c NaN
        garbage line without value
        {} 4
        """)
        XCTAssertEqual(m.sum("a_total"), 5)
        let b = try XCTUnwrap(m.first("b"))
        XCTAssertEqual(b.labels, ["path": "/v1/{id}", "note": "say \"hi\"\n"])
        XCTAssertEqual(b.value, .infinity)
        XCTAssertTrue(m.first("c")?.value.isNaN ?? false)
        XCTAssertNil(m.sum("garbage"))
        XCTAssertEqual(m.samples.count, 4)
    }
}
