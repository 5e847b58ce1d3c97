/// Which type each tensor of a model gets, by llama.cpp's rules (`llama-quant.cpp`), so a
/// file Pagoda quantizes has the tensor types `llama-quantize` would give it:
///
/// - Only weight matrices are quantized: tensors of two or more dimensions whose name ends
///   in `weight`, except norms, MoE routers and position or token-type embeddings; the rest
///   keep their type.
/// - `.pure(T)` gives every such matrix T. A mix starts from its base type and raises some:
///   the output matrix (or the token embedding, when the output is tied to it) to Q6_K;
///   `attn_v` and `ffn_down` to Q6_K in the first and last eighth of the layers and every
///   third between (Q4_K_M, Q5_K_M), or to Q5_K in the first layers (Q4_K_S).
/// - A row length that is not a whole number of the type's blocks falls back: Q4_K → Q5_0,
///   Q5_K → Q5_1, Q6_K → Q8_0 (Qwen2.5-0.5B's rows of 896 do this), a 32-block type that
///   still does not fit → F16. For the output matrix of a mix, any misfit → Q8_0.
/// - `tokenEmbeddingType` and `outputType` (`llama-quantize --token-embedding-type` and
///   `--output-tensor-type`) give `token_embd.weight` and `output.weight` their types
///   whatever the target, single or mix; a tied output is the embedding, so only the first
///   reaches it. A row the chosen type does not fit falls back as above.
///
/// Tensors are listed in llama.cpp's order: by layer (tensors outside layers first), then
/// by name. That order drives the layer counters of the mixes, and is the output's order.
public struct QuantizationPlan: Sendable {
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let from: GGMLType
        public let to: GGMLType
        /// The rules picked `to` because the wanted type does not fit the row length.
        public let fellBack: Bool

        public var isConverted: Bool { from != to }
    }

    public let target: QuantTarget
    public let tensors: [Tensor]

    public init(target: QuantTarget, tensors infos: [GGUFTensorInfo], layerCount: Int,
                tokenEmbeddingType: GGMLType? = nil, outputType: GGMLType? = nil) {
        self.target = target
        let ordered = infos.sorted { a, b in
            let la = Self.layer(of: a.name) ?? -1, lb = Self.layer(of: b.name) ?? -1
            return la != lb ? la < lb : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        let tied = !infos.contains { $0.name == "output.weight" }
        let attentionVCount = infos.filter { Category(name: $0.name) == .attentionV }.count
        var attentionV = 0, ffnDown = 0
        var out: [Tensor] = []
        for info in ordered {
            let category = Category(name: info.name)
            guard Self.allowsQuantization(info) else {
                out.append(Tensor(name: info.name, shape: info.shape, from: info.type, to: info.type, fellBack: false))
                continue
            }
            var type = target.baseType
            if case .mix(let mix) = target {
                type = Self.mixType(mix, base: type, category: category, tied: tied, rowLength: info.rowLength,
                                    attentionV: &attentionV, attentionVCount: attentionVCount, ffnDown: &ffnDown, layerCount: layerCount)
            }
            if category == .tokenEmbedding, let tokenEmbeddingType { type = tokenEmbeddingType }
            if category == .output, let outputType { type = outputType }
            var fellBack = false
            if type.isQuantized, info.rowLength % type.blockSize != 0 {
                type = Self.fallback(for: type, rowLength: info.rowLength)
                fellBack = true
            }
            out.append(Tensor(name: info.name, shape: info.shape, from: info.type, to: type, fellBack: fellBack))
        }
        tensors = out
    }

    enum Category: Equatable {
        case tokenEmbedding, output, attentionV, ffnDown, other

        init(name: String) {
            if name == "output.weight" { self = .output }
            else if name == "token_embd.weight" || name == "per_layer_token_embd.weight" { self = .tokenEmbedding }
            else if name.contains("attn_qkv.weight") || name.contains("attn_kv_b.weight") || name.contains("attn_v.weight") { self = .attentionV }
            else if name.contains("ffn_down") { self = .ffnDown }
            else { self = .other }
        }
    }

    /// Weight matrices only, as `tensor_allows_quantization` decides for the architectures
    /// Pagoda runs.
    static func allowsQuantization(_ info: GGUFTensorInfo) -> Bool {
        let dimensions = (info.shape.lastIndex { $0 > 1 } ?? 0) + 1
        let name = info.name
        guard dimensions >= 2, name.hasSuffix("weight") else { return false }
        for excluded in ["_norm.weight", "ffn_gate_inp.weight", "ssm_conv1d"] where name.contains(excluded) { return false }
        return name != "position_embd.weight" && name != "token_types.weight"
    }

    /// `llama_tensor_get_type_impl` for the three mixes.
    static func mixType(_ mix: QuantMix, base: GGMLType, category: Category, tied: Bool, rowLength: Int,
                        attentionV: inout Int, attentionVCount: Int, ffnDown: inout Int, layerCount: Int) -> GGMLType {
        func moreBits(_ i: Int, _ n: Int) -> Bool { i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2 }
        switch category {
        case .output, .tokenEmbedding where tied:
            return rowLength % base.blockSize != 0 ? .q8_0 : .q6_K
        case .attentionV:
            defer { attentionV += 1 }
            switch mix {
            case .q4_K_M, .q5_K_M: return moreBits(attentionV, attentionVCount) ? .q6_K : base
            case .q4_K_S: return attentionV < 4 ? .q5_K : base
            }
        case .ffnDown:
            defer { ffnDown += 1 }
            switch mix {
            case .q4_K_M, .q5_K_M: return moreBits(ffnDown, layerCount) ? .q6_K : base
            case .q4_K_S: return ffnDown < layerCount / 8 ? .q5_K : base
            }
        default:
            return base
        }
    }

    /// `tensor_type_fallback`: the type for a row length `type`'s blocks do not divide.
    static func fallback(for type: GGMLType, rowLength: Int) -> GGMLType {
        let demoted: GGMLType = switch type {
        case .q2_K, .q3_K: .q4_0
        case .q4_K: .q5_0
        case .q5_K: .q5_1
        case .q6_K: .q8_0
        default: type
        }
        return rowLength % demoted.blockSize == 0 ? demoted : .f16
    }

    /// N of a `blk.N.` name.
    static func layer(of name: String) -> Int? {
        guard name.hasPrefix("blk.") else { return nil }
        return Int(name.dropFirst(4).prefix { $0.isNumber })
    }
}

extension GGMLType {
    /// A block-quantized type (not a float or integer type).
    public var isQuantized: Bool { blockSize > 1 }
}
