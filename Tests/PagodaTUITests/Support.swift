@testable import PagodaEngine
@testable import PagodaTUI

enum Fixtures {
    static let model = ModelInfo(name: "Tiny", architecture: "llama", weightTypes: [("Q4_1", 63.3), ("F32", 0.1)], threads: 1, contextLength: 8192)

    static func state(width: Int = 120, height: Int = 40) -> AppState {
        AppState(width: width, height: height, model: model, systemPrompt: "Be kind.")
    }

    /// Draws `s` as the runtime does, telling `update` what the frame showed.
    @discardableResult
    static func draw(_ s: inout AppState) -> ScreenBuffer {
        let frame = RootView.frame(s)
        if let viewport = frame.viewport { _ = update(&s, .drawn(viewport)) }
        return frame.screen
    }

    /// A pool of `blocks` blocks where the given sequences hold the given blocks.
    static func snapshot(blocks: Int, blockTokens: Int = 16, owners: [Int: [SequenceID]] = [:], fills: [Int: Int] = [:], cached: Set<Int> = []) -> KVCacheSnapshot {
        let layout = KVCacheLayout(layerCount: 2, kvHeadCount: 1, headDimension: 8, blockTokens: blockTokens, element: .f16)
        let list = (0..<blocks).map { b -> KVCacheSnapshot.Block in
            let o = owners[b] ?? []
            let state: KVCacheSnapshot.BlockState = o.isEmpty ? (cached.contains(b) ? .cachedFree : .free) : .inUse
            return KVCacheSnapshot.Block(id: b, state: state, refCount: o.count, fill: fills[b] ?? (o.isEmpty ? 0 : blockTokens), owners: o, hashed: false)
        }
        var tables: [SequenceID: [Int]] = [:]
        for (b, o) in owners.sorted(by: { $0.key < $1.key }) { for s in o { tables[s, default: []].append(b) } }
        let sequences = tables.keys.sorted().map { KVCacheSnapshot.Sequence(id: $0, tokenCount: tables[$0]!.count * blockTokens, table: tables[$0]!, lastPrefixHit: .init()) }
        return KVCacheSnapshot(layout: layout, blocks: list, sequences: sequences, copyOnWriteCount: 0)
    }
}
