/// The whole screen for a state.
public enum RootView {
    public static func render(_ s: AppState) -> ScreenBuffer {
        var screen = ScreenBuffer(width: s.width, height: s.height)
        let layout = Layout(state: s)
        if layout.tooSmall {
            let message = "Please enlarge the terminal to at least \(Layout.minimumWidth)×\(Layout.minimumHeight)"
            screen.put(message, x: 0, y: 0, style: .bold)
            return screen
        }
        // Title bar.
        screen.fill(x: 0, y: 0, width: s.width, height: 1, style: .reverse)
        var title = " pagoda · \(s.model.name) · conversation \(s.current.number)/\(s.conversations.count)"
        if let g = s.generation {
            title += g.promptTotal > 0 && g.promptDone < g.promptTotal ? " · reading prompt \(g.promptDone)/\(g.promptTotal)" : " · generating (Esc stops)"
        }
        screen.put(title, x: 0, y: 0, style: .reverse)
        screen.put("F2 stats ", x: s.width - 9, y: 0, style: .reverse)

        TranscriptView.draw(s.current, in: layout.transcript, on: &screen)
        if layout.showsStats { StatsView.draw(s, in: layout.stats, on: &screen) }

        let status = s.status ?? "Enter send · Alt-Enter newline · Ctrl-N/P switch · /help · Ctrl-D quit"
        screen.put(status, x: 1, y: layout.status.y, style: s.status == nil ? .dim : Style(foreground: .yellow, bold: true), maxX: s.width)
        InputView.draw(s.input, in: layout.input, on: &screen, busy: s.isGenerating)
        return screen
    }
}
