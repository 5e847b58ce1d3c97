/// The tensor element types of GGML, numbered as in GGUF files.
///
/// Every type is stored in blocks: `blockSize` elements take `bytesPerBlock` bytes, and a
/// row's element count must be a multiple of `blockSize`. Numbers missing from the list
/// (4, 5, 31–33, 36–38) were removed from GGML and are rejected as unknown.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3
    case q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20
    case iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39

    /// Elements per block (256 for the K-quants, `QK_K`).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .i8, .i16, .i32, .i64, .f64: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl, .mxfp4: 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
             .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq3_s, .iq2_s, .iq4_xs, .iq1_m, .tq1_0, .tq2_0: 256
        }
    }

    /// Bytes per block, as `sizeof(block_…)` in GGML.
    public var bytesPerBlock: Int {
        switch self {
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8: 1
        case .i64, .f64: 8
        case .q4_0, .iq4_nl: 18
        case .q4_1: 20
        case .q5_0: 22
        case .q5_1: 24
        case .q8_0: 34
        case .q8_1: 36
        case .q2_K: 84
        case .q3_K: 110
        case .q4_K: 144
        case .q5_K: 176
        case .q6_K: 210
        case .q8_K: 292
        case .iq2_xxs: 66
        case .iq2_xs: 74
        case .iq3_xxs: 98
        case .iq1_s: 50
        case .iq3_s: 110
        case .iq2_s: 82
        case .iq4_xs: 136
        case .iq1_m: 56
        case .tq1_0: 54
        case .tq2_0: 66
        case .mxfp4: 17
        }
    }

    /// The name GGML and llama.cpp print (`Q4_K`, `F16`, `IQ4_NL`).
    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .f64: "F64"
        case .i8: "I8"
        case .i16: "I16"
        case .i32: "I32"
        case .i64: "I64"
        case .mxfp4: "MXFP4"
        default: caseName.uppercased()
        }
    }

    private var caseName: String {
        switch self {
        case .q4_0: "q4_0"
        case .q4_1: "q4_1"
        case .q5_0: "q5_0"
        case .q5_1: "q5_1"
        case .q8_0: "q8_0"
        case .q8_1: "q8_1"
        case .q2_K: "q2_K"
        case .q3_K: "q3_K"
        case .q4_K: "q4_K"
        case .q5_K: "q5_K"
        case .q6_K: "q6_K"
        case .q8_K: "q8_K"
        case .iq2_xxs: "iq2_xxs"
        case .iq2_xs: "iq2_xs"
        case .iq3_xxs: "iq3_xxs"
        case .iq1_s: "iq1_s"
        case .iq4_nl: "iq4_nl"
        case .iq3_s: "iq3_s"
        case .iq2_s: "iq2_s"
        case .iq4_xs: "iq4_xs"
        case .iq1_m: "iq1_m"
        case .tq1_0: "tq1_0"
        case .tq2_0: "tq2_0"
        default: "\(rawValue)"
        }
    }

    public var description: String { name }

    /// Looks a type up by its printed name, case-insensitively (`q4_k`, `Q8_0`, `bf16`).
    public init?(name: String) {
        guard let match = GGMLType.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }

    /// Bytes a row of `elements` takes, or nil if `elements` is not a whole number of blocks.
    public func rowBytes(_ elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        return elements / blockSize * bytesPerBlock
    }
}
