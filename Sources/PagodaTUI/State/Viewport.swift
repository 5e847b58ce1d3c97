/// What the last frame showed, as the view measured it: `update` scrolls and cuts text against
/// this instead of laying the screen out itself. The runtime sends it (`AppMessage.drawn`)
/// after every frame, so a key is always read against the screen the user is looking at.
public struct Viewport: Equatable, Sendable {
    /// The number of the conversation the transcript pane showed.
    public var conversation: Int
    /// Its transcript's wrapped lines at the pane's width, before scrolling.
    public var transcriptLines: Int
    /// Rows of the transcript pane.
    public var transcriptHeight: Int
    /// Columns a transcript line's text gets, after the speaker mark.
    public var textWidth: Int
    /// Whether the stats pane was on screen.
    public var statsShown: Bool

    public init(conversation: Int, transcriptLines: Int, transcriptHeight: Int, textWidth: Int, statsShown: Bool) {
        self.conversation = conversation
        self.transcriptLines = transcriptLines
        self.transcriptHeight = transcriptHeight
        self.textWidth = textWidth
        self.statsShown = statsShown
    }

    /// The first line shown when the pane follows the bottom.
    public var bottomTop: Int { max(0, transcriptLines - transcriptHeight) }
}

/// Where a conversation's transcript is scrolled to.
public enum ScrollPosition: Equatable, Sendable {
    /// The newest lines, as they arrive.
    case following
    /// Held with wrapped line `top` (counted from the first) at the top of the pane. Text
    /// added at the end does not move it, so a reader scrolled up is never pulled away.
    case fromTop(Int)
}
