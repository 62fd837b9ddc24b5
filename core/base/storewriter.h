#pragma once
// StoreWriter: the one writer of a project file in this process (cf. qBittorrent's
// DBResumeDataStorage::Worker). Every write of every ProjectStore on the same file goes through
// it: a dedicated thread with its own Qt SQL connection and a priority queue, so that an
// annotator's decision never waits behind a long job's write for more than one short
// transaction, and no two connections of this process contend for SQLite's write lock.
//
// Ownership: ProjectStore::open() acquires the writer of its file (shared; created on first use,
// keyed by the canonical path) and close() releases it; the last release stops the thread and
// closes its connection. Thread-safe: run() may be called from any thread; it blocks the caller
// until its task has run on the writer thread.
//
// The writer's connection: WAL journal, synchronous=FULL (see storewriter.cpp for why),
// foreign keys on. Its write transactions wait for the write lock (held by another process) in
// a 1 ms polling loop up to kLockWaitMs instead of SQLite's busy handler, whose sleeps grow to
// 100 ms and would let a process that writes in short chunks keep the lock from the others.
//
// Errors: acquire() returns "FILE: STEP: DETAIL" (the file as the caller named it).

#include "projectlocation.h"
#include "result.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QString>

#include <functional>
#include <memory>

namespace labelscope {

class StoreWriter {
public:
    /// Queue order: lower runs first; equal priorities run in submission order.
    enum class Priority {
        Decision = 0, ///< applyDecisions: an annotator waits for it
        Normal = 1,   ///< short writes: meta, layouts, active-learning rounds, a run's first/last step
        Bulk = 2,     ///< one chunk of a large run, clean-up of abandoned runs
    };
    /// How long a write transaction waits for another process's write lock.
    static constexpr int kLockWaitMs = 10000;
    /// The time one chunk of a large write should take (the most a decision waits behind it).
    static constexpr int kChunkMs = 50;
    /// The pause after each chunk, in which another process's writer can take the lock.
    static constexpr int kYieldMs = 3;

    /// The process's writer of FILE, started (thread, connection, recognition of the file,
    /// migration to the current schema) when there is none. Refuses a file that is not a
    /// Labelscope project or whose schema is newer than this build's.
    static Result<std::shared_ptr<StoreWriter>> acquire(const QString &file);
    /// The same for a parsed location: on PostgreSQL the writer's connection creates the
    /// project's schema when there is none, works in it (search_path), and write transactions
    /// take the project's advisory lock (sqldialect.h); keyed by ProjectLocation::key().
    static Result<std::shared_ptr<StoreWriter>> acquire(const ProjectLocation &location);
    ~StoreWriter();
    StoreWriter(const StoreWriter &) = delete;
    StoreWriter &operator=(const StoreWriter &) = delete;

    /// Runs TASK on the writer thread with the writer's connection and waits for it; returns
    /// what TASK returned. TASK opens and closes its own transactions (begin()/commit()).
    bool run(Priority priority, const std::function<bool(QSqlDatabase &db)> &task);
    /// Queues TASK and returns at once (used for clean-up nobody waits for).
    void post(Priority priority, std::function<void(QSqlDatabase &db)> task);

    /// BEGIN IMMEDIATE on the writer's connection, waiting up to kLockWaitMs for another
    /// process's write lock (PostgreSQL: BEGIN and the project's advisory lock, lock_timeout
    /// kLockWaitMs). False with *detail (the database's error, mapped) on failure.
    static bool beginImmediate(QSqlDatabase &db, QString *detail);

    /// Runs of this process that are being written now (never cleaned up as abandoned).
    /// Thread-safe.
    bool isWriting(qint64 runId) const;
    void setWriting(qint64 runId, bool writing);

    /// A process of this machine (PID; 0 = this process) as recorded in a run that is being
    /// written: host, boot id, pid and start time (Linux: /proc; elsewhere host and pid only).
    static QJsonObject processIdentity(qint64 pid = 0);
    /// Whether the process IDENTITY names is certainly gone: its pid no longer exists, belongs to
    /// a process started at another time (a reused pid), or the machine restarted since. False
    /// for a process of another host (nothing can be told) or one that still runs.
    static bool processIsGone(const QJsonObject &identity);

    /// The canonical path the writer is keyed by.
    const QString &key() const;

private:
    StoreWriter();
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace labelscope
