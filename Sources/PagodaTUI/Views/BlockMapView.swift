import PagodaEngine

/// The KV pool drawn as a grid: one cell per physical block, or `blocksPerCell` blocks per
/// cell when the pool has more blocks than the area has cells.
///
///     █  full block in use        ▓  shared (refcount > 1)
///     ▌  partly filled            ○  cached free (a prefix hit can revive it)
///     ·  free
///
/// Cells are coloured by the conversation owning the block (the first owner when shared). On
/// a server's map, the blocks of the sequence holding the chat's reply take the
/// conversation's colour and every other request's are white.
enum BlockMapView {
    static let ownerColors: [Style.Color] = [.cyan, .green, .yellow, .magenta, .blue, .red]

    /// A server's map: the sequence holding the chat's reply, if one is streaming and the
    /// server says which, and the colour it is drawn in.
    struct ServerReply: Equatable {
        var sequence: SequenceID?
        var color: Style.Color
    }

    static func color(of sequence: SequenceID, conversations: [Conversation], server: ServerReply? = nil) -> Style.Color {
        if let server { return sequence == server.sequence ? server.color : .white }
        let index = conversations.firstIndex { $0.sequence == sequence } ?? sequence.raw
        return ownerColors[index % ownerColors.count]
    }

    /// Blocks per cell needed to fit `blocks` into `width × height` cells.
    static func blocksPerCell(_ blocks: Int, width: Int, height: Int) -> Int {
        let cells = max(1, width * height)
        return max(1, (blocks + cells - 1) / cells)
    }

    /// The glyph and style for a group of blocks.
    static func cell(_ group: ArraySlice<KVCacheSnapshot.Block>, blockTokens: Int, conversations: [Conversation],
                     server: ServerReply? = nil) -> (Character, Style) {
        let used = group.filter { $0.state == .inUse }
        if let first = used.first {
            // A cell holding any block of the chat's reply shows it.
            let owner = server?.sequence.flatMap { reply in used.contains { $0.owners.contains(reply) } ? reply : nil }
            let color = color(of: owner ?? first.owners.first ?? SequenceID(raw: 0), conversations: conversations, server: server)
            if used.contains(where: \.isShared) { return ("▓", Style(foreground: color, bold: true)) }
            if used.contains(where: { $0.fill < blockTokens }) && used.count == 1 { return ("▌", Style(foreground: color)) }
            return ("█", Style(foreground: color))
        }
        if group.contains(where: { $0.state == .cachedFree }) { return ("○", Style(foreground: .gray)) }
        return ("·", Style(foreground: .gray, dim: true))
    }

    /// Draws the map into `r`; returns the rows used.
    @discardableResult
    static func draw(_ kv: KVCacheSnapshot, conversations: [Conversation], server: ServerReply? = nil, in r: Layout.Rect,
                     on screen: inout ScreenBuffer) -> Int {
        guard r.width > 0, r.height > 0 else { return 0 }
        let perCell = blocksPerCell(kv.blocks.count, width: r.width, height: r.height)
        let cells = (kv.blocks.count + perCell - 1) / perCell
        for c in 0..<cells {
            let group = kv.blocks[(c * perCell)..<min(kv.blocks.count, (c + 1) * perCell)]
            let (glyph, style) = cell(group, blockTokens: kv.layout.blockTokens, conversations: conversations, server: server)
            screen.put(String(glyph), x: r.x + c % r.width, y: r.y + c / r.width, style: style)
        }
        return (cells + r.width - 1) / r.width
    }
}
