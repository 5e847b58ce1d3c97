/// A key press as the UI understands it, decoded from the terminal by `Terminal/`.
public enum Key: Equatable, Sendable {
    case character(Character)
    case enter
    /// Alt-Enter: a newline in the input.
    case altEnter
    case backspace, delete
    case left, right, up, down
    case home, end, pageUp, pageDown
    case tab
    case escape
    /// Ctrl plus a letter (lowercase): `.control("a")` is Ctrl-A.
    case control(Character)
    case function(Int)
    case wheelUp, wheelDown
}
