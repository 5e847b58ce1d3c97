/// How keys and values are stored in one KV cache block.
///
/// A block holds `blockTokens` tokens for every layer and KV head, ordered
/// `[layer][K or V][kv head]` into tiles of `blockTokens × headDimension` elements — the unit
/// attention walks. Value tiles are token-major (`[token][dim]`: a token's value row is
/// contiguous); key tiles are dimension-major (`[dim][token]`: element `i` of token `j` at
/// `i · blockTokens + j`), so attention computes the scores of consecutive tokens in SIMD
/// lanes without horizontal sums (vLLM splits its key cache along the head dimension for
/// the same reason).
///
/// Example (SmolLM2: 30 layers, 3 KV heads, head dim 64, 16 tokens, f16):
/// 30 × 2 × 3 × 16 × 64 = 184,320 elements = 368,640 bytes per block.
public struct KVCacheLayout: Equatable, Sendable, Codable {
    public enum Element: String, Sendable, CaseIterable, Codable {
        case f16, f32
        public var bytes: Int { self == .f16 ? 2 : 4 }
    }

    public let layerCount: Int
    public let kvHeadCount: Int
    public let headDimension: Int
    public let blockTokens: Int
    public let element: Element

    public init(layerCount: Int, kvHeadCount: Int, headDimension: Int, blockTokens: Int = EngineOptions.defaultBlockTokens, element: Element = .f16) {
        precondition(layerCount > 0 && kvHeadCount > 0 && headDimension > 0 && blockTokens > 0)
        self.layerCount = layerCount
        self.kvHeadCount = kvHeadCount
        self.headDimension = headDimension
        self.blockTokens = blockTokens
        self.element = element
    }

    public init(config: ModelConfig, blockTokens: Int = EngineOptions.defaultBlockTokens, element: Element = .f16) {
        self.init(layerCount: config.layerCount, kvHeadCount: config.kvHeadCount, headDimension: config.headDimension,
                  blockTokens: blockTokens, element: element)
    }

    public var elementsPerBlock: Int { layerCount * 2 * kvHeadCount * blockTokens * headDimension }
    public var bytesPerBlock: Int { elementsPerBlock * element.bytes }
    public var bytesPerToken: Int { bytesPerBlock / blockTokens }
    /// Elements of one (layer, K/V, head) tile.
    public var tileElements: Int { blockTokens * headDimension }

    /// Element offset of the tile of `layer`, keys (`value == false`) or values, `head`.
    @inline(__always)
    public func tileOffset(layer: Int, value: Bool, head: Int) -> Int {
        ((layer * 2 + (value ? 1 : 0)) * kvHeadCount + head) * tileElements
    }

    /// How many whole blocks fit in `bytes`.
    public func blocks(fitting bytes: Int) -> Int { bytes / bytesPerBlock }
}
