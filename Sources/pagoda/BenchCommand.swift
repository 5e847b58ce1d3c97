import ArgumentParser
import Foundation
import PagodaEngine

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Prompt-processing and generation speed (like llama-bench), or tokenizer speed."
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customShort("p"), help: "Prompt tokens processed in one go.")
    var promptTokens = 128

    @Option(name: .customShort("n"), help: "Tokens generated one at a time.")
    var generateTokens = 64

    @Option(name: [.customShort("t"), .long], help: "Threads (default: every core, \(ThreadPool.availableCores) here).")
    var threadCount: Int?

    var threads: Int { threadCount ?? ThreadPool.availableCores }

    @Option(name: [.customShort("r"), .long], help: "Repetitions after one warm-up.")
    var repetitions = 5

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(name: .customLong("tokenizer-text"), help: "Benchmark the tokenizer on this file instead of the model.")
    var tokenizerText: String?

    @Flag(help: "Benchmark the kernels: memory bandwidth, then GB/s of mat-vec and GFLOP/s of mat-mat per weight type.")
    var kernels = false

    @Option(help: "Also decode this many streams together, e.g. 1,2,4,8,16 (each a batched step, as the server batches), after -p prompt tokens each; prints all streams' tokens/s.")
    var parallel: String?

    @Flag(help: "Also measure memory read bandwidth before and after, and say what fraction of it decoding streams.")
    var bandwidth = false

    func validate() throws {
        guard promptTokens > 0, generateTokens >= 0, repetitions > 0 else { throw ValidationError("-p and -r must be positive, -n not negative") }
        if parallel != nil {
            guard let counts = streamCounts, !counts.isEmpty, counts.allSatisfy({ (1...64).contains($0) }) else {
                throw ValidationError("--parallel takes stream counts 1…64 separated by commas, such as 1,2,4,8,16")
            }
        }
    }

    /// `--parallel`'s counts; nil when it does not parse.
    var streamCounts: [Int]? {
        parallel.flatMap { text in
            let counts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            return counts.contains(nil) ? nil : counts.compactMap { $0 }
        }
    }

    func run() throws {
        try reportingErrors {
            if kernels {
                let pool = ThreadPool(threads: threads)
                print("kernels: \(KernelSet.current.name), threads: \(threads), matrix 32768 × 4096")
                print(String(format: "memory read bandwidth: %.1f GB/s", KernelBenchmark.bandwidth(pool: pool)))
                for row in KernelBenchmark.run(pool: pool) {
                    print(String(format: "%-6@ mat-vec %6.1f GB/s   mat-mat (64 tokens) %6.1f GFLOP/s", row.type.name, row.matvecGBps, row.matmulGFLOPs))
                }
                return
            }
            let path = try modelOptions.resolve()
            if let tokenizerText {
                let file = try GGUFFile(path: path)
                let tokenizer = try Tokenizer(metadata: file.metadata)
                let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: tokenizerText)), as: UTF8.self)
                let (rate, tokens) = Benchmark.tokenizer(tokenizer, text: text, repetitions: repetitions)
                if json {
                    struct Output: Encodable { let model: String, bytes: Int, tokens: Int, mb_per_s: Double }
                    print(try Terminal.jsonLine(Output(model: file.name, bytes: text.utf8.count, tokens: tokens, mb_per_s: rate)))
                } else {
                    print(String(format: "tokenizer %@: %d bytes → %d tokens, median %.2f MB/s (%d runs)", file.name, text.utf8.count, tokens, rate, repetitions))
                }
                return
            }
            var options = EngineOptions()
            options.maxChunk = max(64, promptTokens)
            options.threads = threads
            let engine = try Engine(path: path, options: options)
            let facts = engine.facts
            // The bandwidth is read with a pool of the same size while the engine's is idle.
            let pool = bandwidth ? ThreadPool(threads: threads) : nil
            let before = pool.map { KernelBenchmark.bandwidth(pool: $0) } ?? 0
            let (pp, tg) = try Benchmark(engine: engine).run(promptTokens: promptTokens, generateTokens: generateTokens, repetitions: repetitions)
            let after = pool.map { KernelBenchmark.bandwidth(pool: $0) } ?? 0
            let parallelRates = try (streamCounts ?? []).map { streams in
                (streams, try Benchmark(engine: engine).parallelDecode(streams: streams, promptTokens: promptTokens, generateTokens: max(1, generateTokens),
                                                                       repetitions: repetitions))
            }
            let streamed = Double(facts.decodeBytesPerToken)
            let fraction = streamed * tg.median / 1e9 / ((before + after) / 2)
            let types = facts.weightsByType.map(\.type).sorted().joined(separator: "/")
            if json {
                struct Output: Encodable {
                    let model: String, types: String, threads: Int, kernels: String
                    let pp: Benchmark.Result, tg: Benchmark.Result
                    let decode_bytes_per_token: Int?, bandwidth_gbps: [Double]?, bandwidth_fraction: Double?
                    let parallel: [String: Benchmark.Result]?
                }
                let output = Output(model: facts.fileName, types: types, threads: threads, kernels: facts.kernels, pp: pp, tg: tg,
                                    decode_bytes_per_token: bandwidth ? Int(streamed) : nil, bandwidth_gbps: bandwidth ? [before, after] : nil,
                                    bandwidth_fraction: bandwidth ? fraction : nil,
                                    parallel: parallelRates.isEmpty ? nil : Dictionary(uniqueKeysWithValues: parallelRates.map { ("\($0.0)", $0.1) }))
                print(try Terminal.jsonLine(output))
            } else {
                print("model: \(facts.fileName) (\(types)), threads: \(threads), kernels: \(facts.kernels)")
                print(String(format: "pp%-5d %8.2f t/s (min %.2f, max %.2f)", pp.tokens, pp.median, pp.min, pp.max))
                print(String(format: "tg%-5d %8.2f t/s (min %.2f, max %.2f)", tg.tokens, tg.median, tg.min, tg.max))
                let single = parallelRates.first { $0.0 == 1 }?.1.median
                for (streams, r) in parallelRates {
                    print(String(format: "tg%-5d × %2d streams %8.2f t/s in all (min %.2f, max %.2f)", generateTokens, streams, r.median, r.min, r.max)
                          + (single.map { String(format: ", %.2f× one stream", r.median / $0) } ?? ""))
                }
                if bandwidth {
                    print(String(format: "decode streams %.1f MB per token: %.1f GB/s at the tg median, %.0f%% of the read bandwidth (%.1f GB/s before, %.1f after)",
                                 streamed / 1e6, streamed * tg.median / 1e9, 100 * fraction, before, after))
                }
            }
        }
    }
}
