import Foundation
import PagodaEngine

/// The side pane: the model and the process's memory, a remote server's figures, the KV
/// pool with its block map and a key to its colours, the focused conversation's context and block table, the reply
/// streaming now, and the last turn's numbers.
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

        line("MODEL", heading)
        line("\(s.model.name) (\(s.model.architecture))")
        if !s.model.weightTypes.isEmpty {
            line("weights " + s.model.weightTypes.map { "\($0.type) \(String(format: "%.1f", $0.mebibytes))" }.joined(separator: " · ") + " MiB")
        }
        var facts: [String] = []
        if s.model.threads > 0 { facts.append("threads \(s.model.threads)") }
        if s.model.contextLength > 0 { facts.append("context \(s.model.contextLength)") }
        if !facts.isEmpty { line(facts.joined(separator: " · ")) }
        if let rss = s.residentBytes { line("process \(mib(rss)) MiB resident") }

        if let server = s.server {
            y += 1
            line("SERVER", heading)
            for (text, style) in ServerStatsView.lines(server) { line(text, style) }
        }

        if let kv = s.kv {
            y += 1
            let layout = kv.layout
            line("KV POOL" + (s.server != nil ? " (the server's)" : ""), heading)
            line("block \(layout.blockTokens) tokens · \(layout.bytesPerBlock / 1024) KiB · \(layout.element.rawValue)")
            line("\(kv.totalBlocks) blocks: \(kv.usedBlocks) used, \(kv.cachedFreeBlocks) cached, \(kv.freeBlocks) free")
            line("\(mib(kv.bytesInUse)) of \(mib(kv.totalBytes)) MiB used · \((kv.freeBlocks + kv.cachedFreeBlocks) * layout.blockTokens) tokens free")
            let mapHeight = max(1, min(8, r.y + r.height - y - 12))
            let perCell = BlockMapView.blocksPerCell(kv.totalBlocks, width: width, height: mapHeight)
            let server = serverReply(s)
            y += BlockMapView.draw(kv, conversations: s.conversations, server: server,
                                   in: Layout.Rect(x: x, y: y, width: width, height: mapHeight), on: &screen)
            line("█ full ▌ part ▓ shared ○ cached · free", .dim)
            if perCell > 1 { line("one cell = \(perCell) blocks", .dim) }
            if let server, y < r.y + r.height {
                var column = x
                if let reply = server.sequence {
                    column = screen.put("■ this reply (\(reply)) ", x: column, y: y, style: Style(foreground: server.color, bold: true), maxX: x + width)
                }
                screen.put("■ other requests", x: column, y: y, style: Style(foreground: .white), maxX: x + width)
                y += 1
            } else if y < r.y + r.height {
                y = drawColourKey(s, kv, x: x, y: y, width: width, on: &screen)
            }
            let poolTokens = kv.totalBlocks * layout.blockTokens
            if s.model.contextLength > 0, poolTokens < s.model.contextLength {
                // Then the pool, not the model, is what a long conversation runs into.
                line("pool \(poolTokens) tokens < context \(s.model.contextLength)", Style(foreground: .yellow))
            }
        }

        y += 1
        let c = s.current
        line("CONVERSATION \(c.number)" + (s.conversations.count > 1 ? " (\(s.focused + 1) of \(s.conversations.count))" : ""), heading)
        let sequence = c.sequence.flatMap { id in s.kv?.sequences.first { $0.id == id } }
        // A server holds no sequence for the chat: its last turn's tokens are the context.
        let tokens = sequence?.tokenCount ?? (s.server != nil ? c.contextTokens : 0)
        let meterWidth = max(4, width - 16)
        if s.model.contextLength > 0 {
            let filled = min(meterWidth, tokens * meterWidth / s.model.contextLength)
            line("[" + String(repeating: "█", count: filled) + String(repeating: "·", count: meterWidth - filled) + "] \(tokens)/\(s.model.contextLength)")
        } else {
            line("\(tokens) tokens of context")
        }
        if let kv = s.kv, let sequence, !sequence.table.isEmpty {
            let layout = kv.layout
            let shared = sequence.table.filter { kv.blocks[$0].isShared }.count
            line("\(sequence.table.count) blocks · \(mib(sequence.table.count * layout.bytesPerBlock)) MiB" + (shared > 0 ? " · \(shared) shared" : ""))
            // Room left: the model's context, or what the pool and its last block still hold.
            let slack = sequence.table.count * layout.blockTokens - tokens
            let fits = min(s.model.contextLength - tokens, (kv.freeBlocks + kv.cachedFreeBlocks) * layout.blockTokens + slack)
            line("\(max(0, fits)) more tokens fit")
            line("block table (its block → pool block):", .dim)
            line(sequence.table.enumerated().map { "\($0.offset)→\($0.element)" }.joined(separator: " "))
        } else if s.server != nil {
            // A server keeps nothing for the chat: its prefix cache is what saves the work.
            line("resent in full each turn", .dim)
        } else if c.contextTokens > 0 {
            line("\(c.contextTokens) tokens, none in the cache: the next turn recomputes them", .dim)
        }

        if let g = s.generation, g.conversation == s.current.number {
            y += 1
            line("NOW", heading)
            if g.tokensOut == 0 {
                line(g.promptTotal > 0 ? "reading the prompt: \(g.promptDone)/\(g.promptTotal)" : "preparing the prompt")
            } else {
                line(String(format: "%d tokens out · %.1f t/s", g.tokensOut, g.tokensPerSecond))
            }
        }

        if let st = c.lastStats {
            y += 1
            line("LAST TURN", heading)
            line("prompt \(st.promptTokens) tokens: \(st.promptTokens - st.reusedPromptTokens) computed")
            if s.server != nil {
                line("  \(st.reusedPromptTokens) cached on the server")
            } else {
                line("  \(st.reusedPromptTokens - st.prefixCacheHitTokens) already in its own cache")
                line("  \(st.prefixCacheHitTokens) prefix-cache hits (\(plural(st.prefixCacheHitBlocks, "block")))")
            }
            line(String(format: "prefill %.1f t/s · generate %.1f t/s", st.prefillTokensPerSecond, st.decodeTokensPerSecond))
            line(String(format: "first token %.2f s · %d tokens out", st.timeToFirstTokenSeconds, st.generatedTokens))
        }
    }

    /// On a server's map: the sequence holding the chat's reply while it streams (where the
    /// server says), in the colour of the conversation it answers.
    static func serverReply(_ s: AppState) -> BlockMapView.ServerReply? {
        guard let server = s.server else { return nil }
        let answering = s.generation.flatMap { g in s.conversations.firstIndex { $0.number == g.conversation } } ?? s.focused
        return BlockMapView.ServerReply(sequence: s.generation == nil ? nil : server.replySequence,
                                        color: BlockMapView.ownerColors[answering % BlockMapView.ownerColors.count])
    }

    /// The block map's colours: each conversation holding blocks, as its number in its
    /// colour; the one shown is in reverse. Returns the next row.
    static func drawColourKey(_ s: AppState, _ kv: KVCacheSnapshot, x: Int, y: Int, width: Int, on screen: inout ScreenBuffer) -> Int {
        let holding = s.conversations.enumerated().filter { _, c in
            c.sequence.map { id in kv.sequences.contains { $0.id == id && !$0.table.isEmpty } } ?? false
        }
        guard !holding.isEmpty else { return y }
        var column = screen.put("colours ", x: x, y: y, style: .dim, maxX: x + width)
        for (i, c) in holding {
            let color = BlockMapView.color(of: c.sequence!, conversations: s.conversations)
            let label = "■\(c.number)"
            guard column + displayWidth(label) + 1 <= x + width else {
                screen.put("…", x: column, y: y, style: .dim, maxX: x + width)
                break
            }
            column = screen.put(label, x: column, y: y, style: Style(foreground: color, bold: i == s.focused, reverse: i == s.focused), maxX: x + width)
            column += 1
        }
        return y + 1
    }

    static func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
}
