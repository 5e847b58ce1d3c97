/// What `pagoda quantize` makes: one type for every weight matrix, as `llama-quantize --pure`
/// does, or one of llama.cpp's mixes, which give the tensors that matter most more bits.
public enum QuantTarget: Equatable, Sendable, CustomStringConvertible {
    case pure(GGMLType)
    case mix(QuantMix)

    /// The types a file can be made of, single ones first.
    public static let names = ["F32", "F16", "BF16", "Q8_0", "Q6_K", "Q5_K", "Q5_0", "Q5_1", "Q4_K", "Q4_0", "Q4_1", "Q3_K", "Q2_K"]
        + QuantMix.allCases.map(\.rawValue)

    /// `Q4_0`, `q4_k_m`, `F32`…; nil for a name that is not one of `names`.
    public init?(name: String) {
        let upper = name.uppercased()
        if let mix = QuantMix(rawValue: upper) { self = .mix(mix); return }
        guard Self.names.contains(upper), let type = GGMLType.allCases.first(where: { $0.name == upper }) else { return nil }
        self = .pure(type)
    }

    /// The type most weight matrices get.
    public var baseType: GGMLType {
        switch self {
        case .pure(let type): type
        case .mix(let mix): mix.baseType
        }
    }

    public var description: String {
        switch self {
        case .pure(let type): type.name
        case .mix(let mix): mix.rawValue
        }
    }

    /// `general.file_type` as llama.cpp numbers it (`llama_ftype`): what `llama-quantize`
    /// writes for the same choice (a single K type is written as its `_M` mix's number, as
    /// `llama-quantize --pure Q4_K_M` does).
    public var fileType: UInt32 {
        switch self {
        case .mix(.q4_K_S): 14
        case .mix(.q4_K_M): 15
        case .mix(.q5_K_M): 17
        case .pure(let type):
            switch type {
            case .f32: 0
            case .f16: 1
            case .q4_0: 2
            case .q4_1: 3
            case .q8_0: 7
            case .q2_K: 10
            case .q3_K: 12
            case .q5_0: 8
            case .q5_1: 9
            case .q4_K: 15
            case .q5_K: 17
            case .q6_K: 18
            case .bf16: 32
            default: 1024  // LLAMA_FTYPE_GUESSED: not a type `names` offers
            }
        }
    }
}

/// llama.cpp's K-quant mixes.
public enum QuantMix: String, CaseIterable, Sendable {
    case q4_K_S = "Q4_K_S", q4_K_M = "Q4_K_M", q5_K_M = "Q5_K_M"

    public var baseType: GGMLType {
        switch self {
        case .q4_K_S, .q4_K_M: .q4_K
        case .q5_K_M: .q5_K
        }
    }
}
