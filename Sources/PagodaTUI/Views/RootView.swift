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
        // What the conversation is doing comes first, then which one it is, then the model:
        // a narrow terminal cuts the model name, never the F2 hint.
        var activity = ""
        if let g = s.generation {
            activity = g.promptTotal > 0 && g.promptDone < g.promptTotal ? " · reading prompt \(g.promptDone)/\(g.promptTotal)" : " · generating (Esc stops)"
        }
        let which = "conversation \(s.current.number)" + (s.conversations.count > 1 ? " (\(s.focused + 1) of \(s.conversations.count))" : "")
        let hint = Layout(state: s).showsStats ? " F2 hide stats " : " F2 stats "
        let room = s.width - displayWidth(hint)
        let fixed = " pagoda · " + which + activity
        let title = displayWidth(fixed) + 4 < room ? " pagoda · " + cut(s.model.name, toWidth: room - displayWidth(fixed) - 3) + " · " + which + activity : fixed
        screen.put(title, x: 0, y: 0, style: .reverse, maxX: room)
        screen.put(hint, x: room, y: 0, style: .reverse)

        if !layout.statsCoverTranscript { TranscriptView.draw(s.current, in: layout.transcript, on: &screen) }
        if layout.showsStats { StatsView.draw(s, in: layout.stats, on: &screen) }

        let status = s.status ?? "Enter send · Alt-Enter newline · Ctrl-N/P switch · /help · Ctrl-D quit"
        screen.put(status, x: 1, y: layout.status.y, style: s.status == nil ? .dim : Style(foreground: .yellow, bold: true), maxX: s.width)
        InputView.draw(s.input, in: layout.input, on: &screen, busy: s.isGenerating)
        return screen
    }
}
