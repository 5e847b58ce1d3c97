import CNCursesW
import Foundation

/// The only code that talks to ncurses: starts and restores the terminal, reads keys, and
/// copies a `ScreenBuffer` to the screen, redrawing only the cells that changed.
///
/// All calls must come from one thread (the UI loop).
public final class NCursesTerminal {
    private let window: UnsafeMutablePointer<WINDOW>
    private var previous: ScreenBuffer?
    private let hasColors: Bool

    /// Starts full-screen mode. The terminal is restored by `stop()`, by a handled signal
    /// (SIGTERM, SIGHUP, SIGINT) and on a crash (the fatal-signal handler calls `endwin`).
    public init() throws {
        setlocale(LC_ALL, "")
        guard isatty(0) == 1, isatty(1) == 1 else { throw TerminalError.notATerminal }
        guard let screen = initscr() else { throw TerminalError.cannotStart }
        window = screen
        TerminalSignals.install()
        raw()
        noecho()
        nonl()
        keypad(window, true)
        set_escdelay(25)
        wtimeout(window, 30)
        hasColors = has_colors()
        if hasColors {
            start_color()
            use_default_colors()
            let palette: [Style.Color: Int16] = [
                .red: Int16(COLOR_RED), .green: Int16(COLOR_GREEN), .yellow: Int16(COLOR_YELLOW), .blue: Int16(COLOR_BLUE),
                .magenta: Int16(COLOR_MAGENTA), .cyan: Int16(COLOR_CYAN), .white: Int16(COLOR_WHITE),
                .gray: pagoda_colors() > 8 ? 8 : Int16(COLOR_WHITE),
            ]
            for (color, index) in palette { init_pair(Int16(color.rawValue), index, -1) }
        }
        pagoda_enable_wheel()
        // Bracketed paste: pasted text arrives between ESC[200~ and ESC[201~.
        FileHandle.standardOutput.write(Data("\u{1B}[?2004h".utf8))
    }

    /// Restores the terminal. Safe to call twice.
    public func stop() {
        FileHandle.standardOutput.write(Data("\u{1B}[?2004l".utf8))
        endwin()
    }

    public var size: (width: Int, height: Int) { (Int(pagoda_cols()), Int(pagoda_lines())) }

    /// Set by SIGTERM, SIGHUP or SIGINT.
    public var interrupted: Bool { TerminalSignals.interrupted }

    // MARK: - Input

    /// Codes read ahead after an ESC that turned out not to start a sequence: they are
    /// the next keys, and come out before anything new (Esc then "/regen" used to lose "/").
    private var pushedBack: [(status: Int32, code: UInt32)] = []

    private func nextCode(wait: Bool) -> (status: Int32, code: UInt32)? {
        if !pushedBack.isEmpty { return pushedBack.removeFirst() }
        if !wait { wtimeout(window, 0) }
        defer { if !wait { wtimeout(window, 30) } }
        var ch: wint_t = 0
        let status = wget_wch(window, &ch)
        if status == ERR { return nil }
        return (status, UInt32(ch))
    }

    /// The next input, or nil after ~30 ms of nothing. A resize comes back as `.resize`.
    public func read() -> AppMessage? {
        guard let (status, code) = nextCode(wait: true) else { return nil }
        if status == KEY_CODE_YES {
            switch Int32(code) {
            case KEY_RESIZE: return .resize(width: size.width, height: size.height)
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_DC: return .key(.delete)
            case KEY_ENTER: return .key(.enter)
            case KEY_MOUSE:
                switch pagoda_wheel_direction() {
                case 1: return .key(.wheelUp)
                case -1: return .key(.wheelDown)
                default: return nil
                }
            default:
                let f = Int32(code) - KEY_F0
                return (1...12).contains(f) ? .key(.function(Int(f))) : nil
            }
        }
        switch code {
        case 27: return readEscape()
        case 13, 10: return .key(.enter)
        case 127, 8: return .key(.backspace)
        case 9: return .key(.tab)
        case 1...26: return .key(.control(Character(Unicode.Scalar(code + 96)!)))
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            return .key(.character(Character(scalar)))
        }
    }

    /// After ESC: Alt-Enter, a bracketed paste, or Esc itself. Anything else read ahead
    /// is pushed back, to be read as the keys that follow Esc.
    private func readEscape() -> AppMessage? {
        guard let first = nextCode(wait: false) else { return .key(.escape) }
        if first.status != KEY_CODE_YES, first.code == 13 || first.code == 10 { return .key(.altEnter) }
        var readAhead = [first]
        if first.status != KEY_CODE_YES, first.code == 91 || first.code == 79 {  // "[" or "O"
            if let c = nextCode(wait: false) { readAhead.append(c) }
            // An arrow, Home or End that ncurses did not decode (typed before the terminal was
            // put in keypad mode, or from a terminal whose terminfo says otherwise).
            if readAhead.count == 2, let key = Self.cursorKeys[readAhead[1].code] { return .key(key) }
            while first.code == 91, readAhead.count < 6, readAhead.last?.code != 126, let c = nextCode(wait: false) {
                readAhead.append(c)
            }
            if readAhead.map(\.code) == [91, 50, 48, 48, 126] { return .paste(readPaste()) }  // "[200~"
        }
        pushedBack.append(contentsOf: readAhead)
        return .key(.escape)
    }

    /// Final bytes of the cursor-key sequences ESC [ X and ESC O X.
    private static let cursorKeys: [UInt32: Key] = [65: .up, 66: .down, 67: .right, 68: .left, 72: .home, 70: .end]

    private func readPaste() -> String {
        var text = String.UnicodeScalarView()
        let end = Array("\u{1B}[201~".unicodeScalars)
        var deadline = 0
        while deadline < 200 {
            guard let (status, c) = nextCode(wait: false), status != KEY_CODE_YES else { deadline += 1; usleep(1000); continue }
            text.append(Unicode.Scalar(c) ?? " ")
            if text.count >= end.count, Array(text.suffix(end.count)) == end {
                return String(String.UnicodeScalarView(text.dropLast(end.count)))
            }
        }
        return String(text)
    }

    // MARK: - Output

    /// Draws `screen`, touching only cells that differ from the last drawn screen.
    public func draw(_ screen: ScreenBuffer) {
        let full = previous == nil || previous!.width != screen.width || previous!.height != screen.height
        if full { werase(window) }
        for y in 0..<screen.height {
            for x in 0..<screen.width {
                let cell = screen[x, y]
                if !full, let old = previous?[x, y], old == cell { continue }
                guard let character = cell.character else { continue }
                let s = cell.style
                pagoda_set_style(window, hasColors ? Int32(s.foreground.rawValue) : 0, s.bold ? 1 : 0, s.reverse ? 1 : 0, s.dim ? 1 : 0, s.underline ? 1 : 0)
                var wide = drawnScalars(character).map { wchar_t(bitPattern: $0.value) }
                wide.append(0)
                mvwaddnwstr(window, Int32(y), Int32(x), wide, Int32(wide.count - 1))
            }
        }
        pagoda_set_style(window, 0, 0, 0, 0, 0)
        if let cursor = screen.cursor {
            curs_set(1)
            wmove(window, Int32(cursor.y), Int32(cursor.x))
        } else {
            curs_set(0)
        }
        wrefresh(window)
        previous = screen
    }
}

public enum TerminalError: Error, CustomStringConvertible {
    case notATerminal, cannotStart

    public var description: String {
        switch self {
        case .notATerminal: "the chat needs a terminal (stdin and stdout must be a TTY); use `pagoda run` for scripts"
        case .cannotStart: "cannot start the terminal (is TERM set?)"
        }
    }
}

/// Signal handling that keeps the terminal usable: SIGTERM, SIGHUP and SIGINT ask the UI loop
/// to stop (it restores the terminal); fatal signals restore it and then die as they would have.
enum TerminalSignals {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0
    nonisolated(unsafe) private static var installed = false

    static var interrupted: Bool { flag != 0 }

    static func install() {
        guard !installed else { return }
        installed = true
        for s in [SIGTERM, SIGHUP, SIGINT] {
            signal(s, { _ in TerminalSignals.flag = 1 })
        }
        for s in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            signal(s, { sig in
                endwin()
                signal(sig, SIG_DFL)
                raise(sig)
            })
        }
    }
}
