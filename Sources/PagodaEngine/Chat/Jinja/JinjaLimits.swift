/// What parsing and rendering one template may cost. A chat template comes from a model
/// file, so it is untrusted code: every way it could recurse, loop or allocate without end
/// is bounded here, and going past a bound is a `JinjaError` of kind `.limit` naming it,
/// never a crash, a hang or unbounded memory.
///
/// The defaults sit far above what real templates need (the 205 fixture renderings use at
/// most a few thousand work units and a nesting of about ten) and far below what would hurt:
/// a render at the limits takes a few seconds and a few hundred MiB at most.
public struct JinjaLimits: Sendable, Equatable {
    /// Deepest nesting of blocks and of expressions the parser accepts, and of nodes,
    /// expressions and macro calls the renderer enters. Each level costs native stack;
    /// parsing and rendering run on a thread whose stack holds this many levels with room
    /// to spare (`stackBytes`).
    public var maxDepth = 200
    /// Deepest nesting of lists, dicts and namespaces inside one value. Values are
    /// released recursively, so their depth must be bounded where they are built.
    public var maxValueDepth = 100
    /// Units of work one render may take: one per node rendered or expression evaluated,
    /// `loopIterationWork` per loop iteration, plus one per item or per 16 bytes of every
    /// list or string built, copied or scanned. A unit takes 0.1–0.4 µs here, so the default
    /// bounds a render to a few seconds; a chat template over a long conversation takes
    /// tens of thousands.
    public var maxWork = 10_000_000
    /// Work units one loop iteration counts (it binds the loop variable and `loop`).
    public var loopIterationWork = 8
    /// Bytes of the rendered text.
    public var maxOutputBytes = 8 << 20
    /// Bytes of any string a template builds (UTF-8).
    public var maxStringBytes = 8 << 20
    /// Items of any list a template builds.
    public var maxListItems = 1 << 20
    /// Items `range()` may produce, as jinja2's sandbox limits it (`MAX_RANGE`).
    public var maxRange = 100_000
    /// Native stack of the thread that parses and renders.
    public var stackBytes = 64 << 20

    public init() {}

    public static let `default` = JinjaLimits()
}
