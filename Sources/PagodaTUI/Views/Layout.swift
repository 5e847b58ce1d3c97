/// Where each pane goes for a terminal size. Pure: the same state gives the same layout.
///
///     row 0            title bar
///     rows 1…h-k-2     transcript              │ stats pane (when shown)
///     row h-k-1        status line
///     rows h-k…h-1     input (k lines, 1…5)
public struct Layout: Equatable {
    public struct Rect: Equatable {
        public var x, y, width, height: Int
    }

    public static let minimumWidth = 40
    public static let minimumHeight = 10
    public static let statsWidth = 40
    /// Below this width the stats pane is hidden unless asked for.
    public static let autoStatsWidth = 100

    public let tooSmall: Bool
    public let showsStats: Bool
    /// Too narrow for both panes, the stats pane asked for with F2 takes the transcript's
    /// place until F2 again.
    public let statsCoverTranscript: Bool
    public let title: Rect
    public let transcript: Rect
    public let stats: Rect
    public let status: Rect
    public let input: Rect

    public init(state: AppState) {
        let w = state.width, h = state.height
        tooSmall = w < Self.minimumWidth || h < Self.minimumHeight
        let wantsStats = state.statsVisible ?? (w >= Self.autoStatsWidth)
        let roomForBoth = w >= Self.statsWidth + 30
        showsStats = !tooSmall && wantsStats && (roomForBoth || state.statsVisible == true)
        statsCoverTranscript = showsStats && !roomForBoth
        let statsWidth = showsStats && roomForBoth ? Self.statsWidth : 0
        let inputLines = max(1, min(5, InputView.lines(state.input, width: w - InputView.promptWidth).count))
        let bodyTop = 1
        let bodyHeight = max(0, h - inputLines - 2)
        title = Rect(x: 0, y: 0, width: w, height: 1)
        transcript = Rect(x: 0, y: bodyTop, width: max(0, w - statsWidth - (statsWidth > 0 ? 1 : 0)), height: bodyHeight)
        // The pane draws its border in the column left of it.
        stats = statsCoverTranscript ? Rect(x: 1, y: bodyTop, width: w - 1, height: bodyHeight)
                                     : Rect(x: w - statsWidth, y: bodyTop, width: statsWidth, height: bodyHeight)
        status = Rect(x: 0, y: bodyTop + bodyHeight, width: w, height: 1)
        input = Rect(x: 0, y: bodyTop + bodyHeight + 1, width: w, height: inputLines)
    }
}
