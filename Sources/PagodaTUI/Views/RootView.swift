/// One drawn screen and what it showed.
public struct Frame {
    public var screen: ScreenBuffer
    /// Sent back to `update` as `AppMessage.drawn`; nil when the terminal was too small to
    /// show a transcript.
    public var viewport: Viewport?
}

/// The whole screen for a state.
public enum RootView {
    /// The screen alone, for a caller that does not scroll (tests, previews).
    public static func render(_ s: AppState) -> ScreenBuffer { frame(s).screen }

    public static func frame(_ s: AppState) -> Frame {
        var screen = ScreenBuffer(width: s.width, height: s.height)
        let layout = Layout(state: s)
        if layout.tooSmall {
            let message = "Please enlarge the terminal to at least \(Layout.minimumWidth)×\(Layout.minimumHeight)"
            screen.put(message, x: 0, y: 0, style: .bold)
            return Frame(screen: screen, viewport: nil)
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
        let hint = layout.showsStats ? " F2 hide stats " : " F2 stats "
        let room = s.width - displayWidth(hint)
        let fixed = " pagoda · " + which + activity
        let title = displayWidth(fixed) + 4 < room ? " pagoda · " + cut(s.model.name, toWidth: room - displayWidth(fixed) - 3) + " · " + which + activity : fixed
        screen.put(title, x: 0, y: 0, style: .reverse, maxX: room)
        screen.put(hint, x: room, y: 0, style: .reverse)

        // Measured even while the stats pane covers the transcript, so its scroll position holds.
        let lines = layout.statsCoverTranscript ? TranscriptView.lines(s.current, width: layout.transcript.width).count
                                                : TranscriptView.draw(s.current, in: layout.transcript, on: &screen)
        let viewport = Viewport(conversation: s.current.number, transcriptLines: lines, transcriptHeight: layout.transcript.height,
                                textWidth: layout.transcript.width - TranscriptView.markWidth, statsShown: layout.showsStats)
        if layout.showsStats { StatsView.draw(s, in: layout.stats, on: &screen) }

        let status = s.status ?? "Enter send · Alt-Enter newline · Ctrl-N/P switch · /help · Ctrl-D quit"
        screen.put(status, x: 1, y: layout.status.y, style: s.status == nil ? .dim : Style(foreground: .yellow, bold: true), maxX: s.width)
        InputView.draw(s.input, in: layout.input, on: &screen, busy: s.isGenerating)
        return Frame(screen: screen, viewport: viewport)
    }
}
