import Foundation
import PagodaEngine

/// The chat without its terminal: the state, the effects `update` asks for (generation,
/// forks, prompt files) and the store. The backend (the embedded engine or a remote server)
/// reaches the state only as messages posted to the inbox; `handle` is the one way messages
/// are applied. `ChatApp` drives it from the terminal; tests drive it directly.
///
/// Nothing the user typed is lost: after each batch of messages the transcripts are saved
/// *before* any effect runs, so a turn is on disk before the engine sees it.
public final class ChatSession {
    public let backend: any ChatBackend
    private let prompts: PromptLibrary
    public private(set) var state: AppState
    private let inbox = Inbox()
    private var stops: [Int: StopSignal] = [:]
    /// Where conversations are saved as they happen; nil when it could not be opened.
    private var transcripts: TranscriptStore?
    /// The focused conversation's sequence, which a full pool must not preempt; read by the
    /// engine's thread.
    private let focused = FocusedSequence()

    /// Forwards the backend's reports (KV snapshots, server figures) to the inbox while the
    /// screen is up.
    private var reportTask: Task<Void, Never>?

    /// The chat over the embedded engine.
    public convenience init(engine: Engine, systemPrompt: String?, settings: ChatSettings, prompts: PromptLibrary = .standard(),
                            transcripts: TranscriptStore? = nil) {
        self.init(backend: LocalBackend(engine: engine), systemPrompt: systemPrompt, settings: settings, prompts: prompts,
                  transcripts: transcripts)
    }

    /// `transcripts`, if given, saves every conversation and brings back the earlier ones.
    public init(backend: any ChatBackend, systemPrompt: String?, settings: ChatSettings, prompts: PromptLibrary = .standard(),
                transcripts: TranscriptStore? = nil) {
        self.backend = backend
        self.prompts = prompts
        self.transcripts = transcripts
        let info = backend.model
        var past: [Conversation] = []
        var firstNumber = 1
        var problem: String?
        do {
            if let transcripts {
                past = try transcripts.load(limit: 50)
                firstNumber = try transcripts.nextConversationNumber()
            }
        } catch {
            problem = "earlier conversations could not be read: \(error)"
        }
        state = AppState(width: 80, height: 24, model: info, systemPrompt: systemPrompt, firstNumber: firstNumber)
        state.settings = settings
        state.promptNames = prompts.names
        if !past.isEmpty {
            state.conversations += past
            state.conversations[0].entries.append(TranscriptEntry(.notice,
                "\(past.count) earlier conversation\(past.count == 1 ? "" : "s"): /list shows them, /switch N continues one"))
        }
        if let problem { state.conversations[0].entries.append(TranscriptEntry(.error, problem)) }
    }

    /// Saves what changed; the first failure is shown and saving stops.
    private func saveTranscripts() {
        do {
            try transcripts?.save(state.conversations)
        } catch {
            transcripts = nil
            _ = update(&state, .notice("conversations are no longer saved: \(error)"))
        }
    }

    /// Applies `messages` in order, saves what changed, then performs the effects they
    /// asked for. Returns whether anything was applied.
    @discardableResult
    public func handle(_ messages: [AppMessage]) -> Bool {
        guard !messages.isEmpty else { return false }
        var effects: [Effect] = []
        for message in messages { effects += update(&state, message) }
        saveTranscripts()
        focused.set(state.current.sequence)
        perform(effects)
        return true
    }

    /// Tells the state what the frame just drawn showed; nothing to save or perform.
    public func drawn(_ viewport: Viewport) {
        _ = update(&state, .drawn(viewport))
    }

    /// Messages the engine and the effects posted since the last call, and the process's
    /// memory once a second.
    public func pendingMessages() -> [AppMessage] {
        var messages = inbox.drain()
        let now = DispatchTime.now().uptimeNanoseconds
        if now - lastMemoryReading >= 1_000_000_000, let bytes = ProcessMemory.residentBytes() {
            lastMemoryReading = now
            messages.append(.memory(residentBytes: bytes))
        }
        return messages
    }

    private var lastMemoryReading: UInt64 = 0

    /// Sets up what a new screen shows (terminal size, the backend's notices) and starts
    /// forwarding its reports.
    public func start(width: Int, height: Int) {
        _ = update(&state, .resize(width: width, height: height))
        if let snapshot = backend.kvSnapshot() { _ = update(&state, .kvChanged(snapshot)) }
        for notice in backend.startNotices { _ = update(&state, .info(notice)) }
        for problem in backend.startProblems { _ = update(&state, .notice(problem)) }
        let backend = self.backend, inbox = self.inbox
        reportTask = Task.detached {
            for await report in backend.reports() {
                switch report {
                case .kv(let snapshot): inbox.post(.kvChanged(snapshot))
                case .server(let server): inbox.post(.serverReport(server))
                }
            }
        }
    }

    /// Stops every generation and the report feed, and saves.
    public func finish() {
        for stop in stops.values { stop.stop() }
        reportTask?.cancel()
        reportTask = nil
        saveTranscripts()
    }

    deinit { reportTask?.cancel() }

    private func perform(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .generate(let id, let conversation, let sequence, let messages, let settings):
                startGeneration(id: id, conversation: conversation, sequence: sequence, messages: messages, settings: settings)
            case .cancel(let id):
                stops[id]?.stop()
            case .fork(let source, let conversation):
                guard backend.keepsSequences else { break }
                do {
                    let copy = try backend.fork(source)
                    inbox.post(.sequenceAssigned(conversation: conversation, copy))
                } catch {
                    inbox.post(.notice("fork failed: \(error)"))
                }
                postSnapshot()
            case .release(let sequence):
                if backend.keepsSequences { backend.release(sequence) }
                postSnapshot()
            case .loadSystemPrompt(let name, let conversation):
                do {
                    inbox.post(.systemPromptLoaded(conversation: conversation, text: try prompts.prompt(named: name)))
                } catch {
                    inbox.post(.notice("\(error)"))
                }
            case .delete(let conversation):
                if let sequence = conversation.sequence, backend.keepsSequences {
                    backend.release(sequence)
                    postSnapshot()
                }
                do { try transcripts?.delete(conversation) } catch {
                    inbox.post(.notice("conversation \(conversation.number) could not be deleted from the store: \(error)"))
                }
            case .export(let path, let text):
                let (done, message) = Self.export(text, to: path)
                inbox.post(done ? .info(message) : .notice(message))
            case .quit:
                break
            }
        }
    }

    /// The pool as it is now, when the backend has one in this process.
    private func postSnapshot() {
        if let snapshot = backend.kvSnapshot() { inbox.post(.kvChanged(snapshot)) }
    }

    /// Writes an export, never over an existing file; returns whether it was written and
    /// what to tell the user.
    static func export(_ text: String, to path: String) -> (Bool, String) {
        let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it exists already; choose another name" : String(cString: strerror(errno))
            return (false, "cannot export to \(UntrustedText.escaped(url.path)): \(reason)")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do { try handle.write(contentsOf: Data(text.utf8)) } catch {
            return (false, "cannot export to \(UntrustedText.escaped(url.path)): \(error.localizedDescription)")
        }
        return (true, "exported to \(UntrustedText.escaped(url.path)) (\(text.utf8.count) bytes)")
    }

    private func startGeneration(id: Int, conversation: Int, sequence: SequenceID?, messages: [ChatMessage], settings: ChatSettings) {
        var sequence = sequence
        if sequence == nil, backend.keepsSequences {
            let made = backend.createConversation()
            inbox.post(.sequenceAssigned(conversation: conversation, made))
            sequence = made
        }
        let stop = StopSignal()
        stops[id] = stop
        var request = ReplyRequest(sequence: sequence, messages: messages, settings: settings)
        let focused = self.focused
        request.protected = { focused.get().map { [$0] } ?? [] }
        let backend = self.backend, inbox = self.inbox
        Task.detached {
            for await event in backend.generate(request, stop: stop) {
                if case .prompt(let report) = event {
                    if let warning = report.warning { inbox.post(.notice(warning)) }
                    if report.droppedMessages > 0 {
                        inbox.post(.contextTrimmed(conversation: conversation, dropped: report.droppedMessages, policy: settings.contextPolicy))
                    }
                    if let room = report.replyRoom {
                        inbox.post(.info("room for \(room) more tokens in this conversation (the KV pool or the model's context): the reply stops there; /continue goes on"))
                    }
                }
                inbox.post(.generation(id: id, event))
                if case .finished = event, let snapshot = backend.kvSnapshot() { inbox.post(.kvChanged(snapshot)) }
            }
        }
    }
}

/// One sequence id shared between the UI loop, which sets it, and the engine's thread.
final class FocusedSequence: @unchecked Sendable {
    private let lock = NSLock()
    private var value: SequenceID?

    func set(_ id: SequenceID?) {
        lock.lock()
        value = id
        lock.unlock()
    }

    func get() -> SequenceID? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

/// Messages posted from any thread, drained by the UI loop.
final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [AppMessage] = []

    func post(_ message: AppMessage) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    func drain() -> [AppMessage] {
        lock.lock()
        defer { lock.unlock() }
        let out = messages
        messages.removeAll()
        return out
    }
}
