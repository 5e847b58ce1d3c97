import Foundation
import GRDB

/// Conversations saved as they happen, in SQLite (`transcripts.sqlite` in Pagoda's folder),
/// so quitting, a crash or a kill loses at most the reply text of the last moment; the next
/// start lists them and any can be continued.
///
/// `save` is called by the UI loop after every batch of messages: it writes only what
/// changed since the last call (new conversations, new entries, an entry whose text grew as
/// a reply streamed, entries dropped by `/clear` or `/regen`), each batch in one
/// transaction. Conversations without a user message are not saved. Not thread-safe: one
/// UI loop uses it.
///
/// A conversation's number is its row id, so it is the same in every run: conversation 7
/// is 7 tomorrow. Numbers are never reused (the id is AUTOINCREMENT).
///
/// Schema: `conversation(id, systemPrompt, createdAt, updatedAt, title, model,
/// contextTokens)` and `entry(conversationId, position, kind, text, stopped, cutAtLimit)`,
/// keyed by (conversation, position).
public final class TranscriptStore {
    private let database: DatabaseQueue
    /// This session's conversations (by number) and loaded ones (by stored id) → row id.
    private var rows: [Int: Int64] = [:]
    /// What each row holds now, to write only the difference.
    private var saved: [Int64: [TranscriptEntry]] = [:]
    /// The conversation's own fields as last written, to write only the difference.
    private var savedHeaders: [Int64: Header] = [:]

    private struct Header: Equatable {
        var systemPrompt: String?
        var title: String?
        var model: String?
        var contextTokens: Int

        init(_ c: Conversation) {
            systemPrompt = c.systemPrompt
            title = c.title
            model = c.model
            contextTokens = c.contextTokens
        }
    }

    /// Opens (creating if needed) the database at `url`. It holds chat history, so it is
    /// private to its owner: a folder it creates is 0700, and the file is 0600 (made so when
    /// created, and tightened when an older one was more open). SQLite gives its journal
    /// files the database's permissions.
    public convenience init(url: URL) throws {
        let folder = url.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: folder.path) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let fd = open(url.path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path]) }
        fchmod(fd, 0o600)
        close(fd)
        // Another Pagoda (or a reader) may hold the file for a moment: wait for it.
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        try self.init(database: DatabaseQueue(path: url.path, configuration: configuration))
    }

    /// A database that lives only in memory (for tests).
    public static func inMemory() throws -> TranscriptStore {
        try TranscriptStore(database: DatabaseQueue())
    }

    private init(database: DatabaseQueue) throws {
        self.database = database
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "conversation") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("systemPrompt", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "entry") { t in
                t.column("conversationId", .integer).notNull().references("conversation", onDelete: .cascade)
                t.column("position", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("text", .text).notNull()
                t.column("stopped", .boolean).notNull().defaults(to: false)
                t.primaryKey(["conversationId", "position"])
            }
        }
        migrator.registerMigration("v2") { db in
            try db.alter(table: "entry") { t in t.add(column: "cutAtLimit", .boolean).notNull().defaults(to: false) }
        }
        migrator.registerMigration("v3") { db in
            try db.alter(table: "conversation") { t in
                t.add(column: "title", .text)
                t.add(column: "model", .text)
                t.add(column: "contextTokens", .integer).notNull().defaults(to: 0)
            }
        }
        try migrator.migrate(database)
    }

    /// The number the next new conversation gets: one past every id ever given.
    public func nextConversationNumber() throws -> Int {
        try database.read { db in
            let used = try Int.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'conversation'") ?? 0
            let highest = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM conversation") ?? 0
            return max(used, highest) + 1
        }
    }

    /// Writes what changed in `conversations` since the last call.
    public func save(_ conversations: [Conversation]) throws {
        let changed = conversations.filter { c in
            guard c.entries.contains(where: { $0.kind == .user }) else { return false }
            guard let row = row(of: c) else { return true }
            return saved[row] != c.entries || savedHeaders[row] != Header(c)
        }
        guard !changed.isEmpty else { return }
        let now = Date()
        try database.write { db in
            for c in changed {
                let row: Int64
                if let existing = self.row(of: c) {
                    row = existing
                    try db.execute(sql: "UPDATE conversation SET systemPrompt = ?, title = ?, model = ?, contextTokens = ?, updatedAt = ? WHERE id = ?",
                                   arguments: [c.systemPrompt, c.title, c.model, c.contextTokens, now, row])
                } else {
                    // The row takes the conversation's number, unless another Pagoda took it
                    // meanwhile; then it gets the next free id (and that number from the next run).
                    let taken = try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM conversation WHERE id = ?)", arguments: [c.number]) ?? false
                    try db.execute(sql: "INSERT INTO conversation (id, systemPrompt, title, model, contextTokens, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   arguments: [taken ? nil : c.number, c.systemPrompt, c.title, c.model, c.contextTokens, now, now])
                    row = db.lastInsertedRowID
                    rows[c.number] = row
                }
                let before = saved[row] ?? []
                for (position, entry) in c.entries.enumerated() where position >= before.count || before[position] != entry {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO entry (conversationId, position, kind, text, stopped, cutAtLimit) VALUES (?, ?, ?, ?, ?, ?)",
                        arguments: [row, position, Self.name(of: entry.kind), entry.text, entry.stopped || entry.streaming, entry.cutAtLimit])
                }
                if c.entries.count < before.count {
                    try db.execute(sql: "DELETE FROM entry WHERE conversationId = ? AND position >= ?", arguments: [row, c.entries.count])
                }
                saved[row] = c.entries
                savedHeaders[row] = Header(c)
            }
        }
    }

    /// Up to `limit` saved conversations, most recently changed first, each numbered by its
    /// id. A reply that was streaming when Pagoda stopped comes back marked stopped. They are
    /// the store's from then on: `save` updates them in place.
    public func load(limit: Int) throws -> [Conversation] {
        let records = try database.read { db -> [(Row, [Row])] in
            let conversations = try Row.fetchAll(db, sql: "SELECT id, systemPrompt, title, model, contextTokens FROM conversation ORDER BY updatedAt DESC, id DESC LIMIT ?",
                                                 arguments: [limit])
            return try conversations.map { c in
                let entries = try Row.fetchAll(db, sql: "SELECT kind, text, stopped, cutAtLimit FROM entry WHERE conversationId = ? ORDER BY position",
                                               arguments: [c["id"] as Int64])
                return (c, entries)
            }
        }
        return records.map { record, entryRows in
            let id: Int64 = record["id"]
            var c = Conversation(number: Int(id), systemPrompt: record["systemPrompt"], model: record["model"])
            c.storedID = id
            c.title = record["title"]
            c.contextTokens = record["contextTokens"]
            c.entries = entryRows.map { row in
                var entry = TranscriptEntry(Self.kind(named: row["kind"]), row["text"])
                entry.stopped = row["stopped"]
                entry.cutAtLimit = row["cutAtLimit"]
                return entry
            }
            saved[id] = c.entries
            savedHeaders[id] = Header(c)
            return c
        }
    }

    /// Deletes a saved conversation and its entries (nothing if it was never saved).
    public func delete(_ c: Conversation) throws {
        guard let row = row(of: c) else { return }
        try database.write { db in
            try db.execute(sql: "DELETE FROM entry WHERE conversationId = ?", arguments: [row])
            try db.execute(sql: "DELETE FROM conversation WHERE id = ?", arguments: [row])
        }
        saved[row] = nil
        savedHeaders[row] = nil
        rows[c.number] = nil
    }

    private func row(of c: Conversation) -> Int64? {
        c.storedID ?? rows[c.number]
    }

    private static func name(of kind: TranscriptEntry.Kind) -> String {
        switch kind {
        case .user: "user"
        case .assistant: "assistant"
        case .notice: "notice"
        case .error: "error"
        }
    }

    private static func kind(named name: String) -> TranscriptEntry.Kind {
        switch name {
        case "user": .user
        case "assistant": .assistant
        case "error": .error
        default: .notice
        }
    }
}
