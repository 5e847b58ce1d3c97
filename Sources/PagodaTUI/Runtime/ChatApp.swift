import Foundation
import PagodaEngine

/// Runs the chat in the terminal: the UI loop on the calling thread reads keys, hands them
/// and the backend's messages to the `ChatSession`, and draws.
public final class ChatApp {
    public let session: ChatSession

    public init(backend: any ChatBackend, systemPrompt: String?, settings: ChatSettings, prompts: PromptLibrary = .standard(),
                transcripts: TranscriptStore? = nil) {
        session = ChatSession(backend: backend, systemPrompt: systemPrompt, settings: settings, prompts: prompts, transcripts: transcripts)
    }

    /// Runs until the user quits or a signal arrives; the terminal is restored on return.
    public func run() throws {
        let terminal = try NCursesTerminal()
        defer { terminal.stop() }
        let size = terminal.size
        session.start(width: size.width, height: size.height)
        var dirty = true
        while !session.state.shouldQuit && !terminal.interrupted {
            var messages: [AppMessage] = []
            if let input = terminal.read() { messages.append(input) }
            messages += session.pendingMessages()
            if session.handle(messages) { dirty = true }
            if dirty {
                let frame = RootView.frame(session.state)
                terminal.draw(frame.screen)
                if let viewport = frame.viewport { session.drawn(viewport) }
                dirty = false
            }
        }
        session.finish()
    }
}
