import Foundation
import PagodaEngine

/// The side pane: the model, the KV pool and its block map, the focused conversation's
/// context and block table, and the last turn's numbers.
enum StatsView {
    static func draw(_ s: AppState, in r: Layout.Rect, on screen: inout ScreenBuffer) {
        guard r.width > 4, r.height > 0 else { return }
        for y in r.y..<(r.y + r.height) { screen.put("│", x: r.x - 1, y: y, style: Style(foreground: .gray)) }
        let x = r.x + 1, width = r.width - 2
        var y = r.y
        let heading = Style(foreground: .yellow, bold: true)
        func line(_ text: String, _ style: Style = .plain) {
            guard y < r.y + r.height else { return }
            screen.put(text, x: x, y: y, style: style, maxX: x + width)
            y += 1
        }
        func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

        line("MODEL", heading)
        line("\(s.model.name) (\(s.model.architecture))")
        line(s.model.weightTypes.map { "\($0.type) \(String(format: "%.1f", $0.mebibytes))" }.joined(separator: " · ") + " MiB")
        line("threads \(s.model.threads) · context \(s.model.contextLength)")

        guard let kv = s.kv else { return }
        y += 1
        let layout = kv.layout
        line("KV POOL", heading)
        line("block \(layout.blockTokens) tokens · \(layout.bytesPerBlock / 1024) KiB · \(layout.element.rawValue)")
        line("\(kv.totalBlocks) blocks: \(kv.usedBlocks) used, \(kv.cachedFreeBlocks) cached, \(kv.freeBlocks) free")
        line("\(mib(kv.bytesInUse)) of \(mib(kv.totalBytes)) MiB · \((kv.freeBlocks + kv.cachedFreeBlocks) * layout.blockTokens) tokens free")
        let mapHeight = max(1, min(8, r.y + r.height - y - 9))
        let perCell = BlockMapView.blocksPerCell(kv.totalBlocks, width: width, height: mapHeight)
        y += BlockMapView.draw(kv, conversations: s.conversations, in: Layout.Rect(x: x, y: y, width: width, height: mapHeight), on: &screen)
        line("█ full ▌ part ▓ shared ○ cached · free", .dim)
        if perCell > 1 { line("one cell = \(perCell) blocks", .dim) }
        let poolTokens = kv.totalBlocks * layout.blockTokens
        if poolTokens < s.model.contextLength {
            // Then the pool, not the model, is what a long conversation runs into.
            line("pool \(poolTokens) tokens < context \(s.model.contextLength)", Style(foreground: .yellow))
        }

        y += 1
        let c = s.current
        line("CONVERSATION \(c.number) of \(s.conversations.count)", heading)
        let tokens = c.sequence.flatMap { id in kv.sequences.first { $0.id == id } }?.tokenCount ?? 0
        let meterWidth = max(4, width - 16)
        let filled = min(meterWidth, s.model.contextLength > 0 ? tokens * meterWidth / s.model.contextLength : 0)
        line("[" + String(repeating: "█", count: filled) + String(repeating: "·", count: meterWidth - filled) + "] \(tokens)/\(s.model.contextLength)")
        if let table = c.sequence.flatMap({ id in kv.sequences.first { $0.id == id } })?.table, !table.isEmpty {
            line("blocks " + table.enumerated().map { "\($0.offset)→\($0.element)" }.joined(separator: " "))
        }

        if let st = c.lastStats {
            y += 1
            line("LAST TURN", heading)
            line("prompt \(st.promptTokens) tokens, \(st.reusedPromptTokens) reused")
            line("prefix cache: \(st.prefixCacheHitTokens) tokens, \(st.prefixCacheHitBlocks) blocks")
            line(String(format: "prefill %.1f t/s · generate %.1f t/s", st.prefillTokensPerSecond, st.decodeTokensPerSecond))
            line(String(format: "first token %.2f s · %d tokens out", st.timeToFirstTokenSeconds, st.generatedTokens))
        }
    }
}
