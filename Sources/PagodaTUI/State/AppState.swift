import PagodaEngine

/// What the stats pane says about the model (gathered once at start).
public struct ModelInfo: Equatable, Sendable {
    public var name: String
    /// The model file's name, recorded with each conversation to tell models apart.
    public var fileName: String
    public var architecture: String
    /// Weight bytes per tensor type, largest first.
    public var weightTypes: [(type: String, mebibytes: Double)]
    public var threads: Int
    public var contextLength: Int

    public init(name: String, fileName: String? = nil, architecture: String, weightTypes: [(type: String, mebibytes: Double)], threads: Int, contextLength: Int) {
        self.name = name
        self.fileName = fileName ?? name
        self.architecture = architecture
        self.weightTypes = weightTypes
        self.threads = threads
        self.contextLength = contextLength
    }

    /// What an engine says of its model.
    public init(facts: ModelFacts) {
        self.init(name: facts.name, fileName: facts.fileName, architecture: facts.architecture,
                  weightTypes: facts.weightsByType.map { ($0.type, Double($0.bytes) / 1_048_576) }, threads: facts.threads,
                  contextLength: facts.contextLength)
    }

    public static func == (a: ModelInfo, b: ModelInfo) -> Bool {
        a.name == b.name && a.fileName == b.fileName && a.architecture == b.architecture && a.threads == b.threads && a.contextLength == b.contextLength
            && a.weightTypes.map(\.type) == b.weightTypes.map(\.type)
    }
}

/// Sampling and length settings, changed with `/set`.
public struct ChatSettings: Equatable, Sendable {
    public var sampling = SamplingParameters()
    public var maxTokens = Engine.defaultMaxTokens
    /// What a conversation too long for the context or the KV pool does.
    public var contextPolicy = ContextPolicy.dropOldest
    public init() {}
}

/// A reply being generated.
public struct ActiveGeneration: Equatable, Sendable {
    public let id: Int
    /// The number of the conversation it replies in.
    public let conversation: Int
    public var promptDone = 0
    public var promptTotal = 0
    /// Tokens out so far and the seconds they took, for the live rate.
    public var tokensOut = 0
    public var decodeSeconds = 0.0

    public var tokensPerSecond: Double { decodeSeconds > 0 && tokensOut > 1 ? Double(tokensOut - 1) / decodeSeconds : 0 }
}

/// The whole UI state: one value, changed only by `update`.
public struct AppState: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var conversations: [Conversation]
    public var focused = 0
    public var input = InputLine()
    public var settings = ChatSettings()
    /// nil: shown when the terminal is wide enough.
    public var statsVisible: Bool?
    public var generation: ActiveGeneration?
    /// Conversations (by number) whose newest message waits for the engine: sent while
    /// another reply streamed. They get their replies in order.
    public var waitingForReply: [Int] = []
    public var nextGenerationID = 1
    public var nextConversationNumber = 2
    public var kv: KVCacheSnapshot?
    /// What a remote server says of itself; nil for the embedded engine.
    public var server: ServerReport?
    /// The process's resident memory, measured about once a second.
    public var residentBytes: Int?
    public var model: ModelInfo
    public var defaultSystemPrompt: String?
    /// Names of the prompts in `prompts/`, for completing `/system`.
    public var promptNames: [String] = []
    /// Ctrl-C at an idle prompt asks first.
    public var confirmingQuit = false
    public var shouldQuit = false
    /// A one-line hint under the transcript.
    public var status: String?
    /// The last frame's measurements; nil before the first.
    public var viewport: Viewport?

    /// Starts with one empty conversation numbered `firstNumber`.
    public init(width: Int, height: Int, model: ModelInfo, systemPrompt: String?, firstNumber: Int = 1) {
        self.width = width
        self.height = height
        self.model = model
        defaultSystemPrompt = systemPrompt
        conversations = [Conversation(number: firstNumber, systemPrompt: systemPrompt, model: model.fileName)]
        nextConversationNumber = firstNumber + 1
    }

    public var current: Conversation {
        get { conversations[focused] }
        set { conversations[focused] = newValue }
    }

    public var isGenerating: Bool { generation != nil }

    /// Where the conversation numbered `number` is in `conversations`. Messages and effects
    /// name conversations by number, which never changes; positions move when one is deleted.
    public func index(ofConversation number: Int) -> Int? {
        conversations.firstIndex { $0.number == number }
    }
}

/// Everything that reaches the UI: keys, resizes, and the engine's reports.
public enum AppMessage: Equatable, Sendable {
    case key(Key)
    case paste(String)
    case resize(width: Int, height: Int)
    /// A frame was drawn; what it showed.
    case drawn(Viewport)
    case generation(id: Int, GenerationEvent)
    case kvChanged(KVCacheSnapshot)
    /// A remote server's figures were read again.
    case serverReport(ServerReport)
    /// The process's resident memory was measured.
    case memory(residentBytes: Int)
    /// The runtime made or forked a sequence for a conversation. Here and in `Effect`,
    /// `conversation` is the conversation's number (`Conversation.number`), not its position.
    case sequenceAssigned(conversation: Int, SequenceID)
    case systemPromptLoaded(conversation: Int, text: String)
    /// The context policy left `dropped` messages out of a conversation's prompt.
    case contextTrimmed(conversation: Int, dropped: Int, policy: ContextPolicy)
    /// Something the runtime could not do, said in one line.
    case notice(String)
    /// Something the runtime did, said in one line.
    case info(String)
}

/// Work `update` asks the runtime to do; results come back as messages.
public enum Effect: Equatable, Sendable {
    /// Generate a reply for conversation number `conversation` with these messages; when they end
    /// with an assistant message, continue that reply instead of starting a new one.
    case generate(id: Int, conversation: Int, sequence: SequenceID?, messages: [ChatMessage], settings: ChatSettings)
    case cancel(id: Int)
    /// A sequence sharing every block of `source` for conversation number `conversation`.
    case fork(source: SequenceID, conversation: Int)
    case release(SequenceID)
    case loadSystemPrompt(name: String, conversation: Int)
    /// Deleted by `/delete`: its sequence is released and its stored copy deleted.
    case delete(Conversation)
    /// `/export`: write `text` to `path`, not over an existing file.
    case export(path: String, text: String)
    case quit
}
