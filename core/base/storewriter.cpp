#include "storewriter.h"

#include "projectschema.h"
#include "projectstore.h"
#include "sqldialect.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QSysInfo>
#include <QThread>
#include <QVariant>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <csignal>
#include <sys/types.h>
#endif

namespace labelscope {

namespace {

QAtomicInteger<quint64> g_writerCounter;

// Writers by canonical path. Leaked on purpose: a store destroyed during static destruction must
// still find it.
struct Registry {
    std::mutex mutex; // held while a writer sets up
    std::map<QString, std::weak_ptr<StoreWriter>> writers;
    std::mutex runsMutex; // never held for long: writer threads take it
    std::set<std::pair<QString, qint64>> writingRuns; // (key, run id) being written by this process
};
Registry &registry()
{
    static Registry *r = new Registry;
    return *r;
}

// The path a file is known by, whatever spelling or symlink leads to it (the file may not exist
// yet: its folder is resolved instead).
QString canonicalKey(const QString &file)
{
    const QFileInfo info(file);
    const QString canonical = info.canonicalFilePath();
    if (!canonical.isEmpty())
        return canonical;
    const QString dir = QFileInfo(info.absolutePath()).canonicalFilePath();
    return dir.isEmpty() ? info.absoluteFilePath() : QDir(dir).filePath(info.fileName());
}

bool execOn(QSqlDatabase &db, const QString &sql, QSqlError *error)
{
    QSqlQuery q(db);
    if (q.exec(sql))
        return true;
    *error = q.lastError();
    return false;
}

// Linux: the boot id and this process's start time (clock ticks since boot, field 22 of
// /proc/PID/stat) tell a live process from a reused pid. Empty elsewhere.
QString bootId()
{
    QFile f(QStringLiteral("/proc/sys/kernel/random/boot_id"));
    return f.open(QIODevice::ReadOnly) ? QString::fromLatin1(f.readAll()).trimmed() : QString();
}

QString processStartTime(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return QString();
    const QByteArray stat = f.readAll();
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    const int close = stat.lastIndexOf(')');
    if (close < 0)
        return QString();
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    return fields.size() > 19 ? QString::fromLatin1(fields[19]) : QString(); // field 22 overall
}

} // namespace

struct StoreWriter::Private {
    ProjectLocation location;
    QString file, key, connection; // file: the location as the caller named it
    std::thread thread;
    std::thread::id threadId;
    std::mutex mutex;
    std::condition_variable wake;
    bool stop = false;
    quint64 nextSeq = 0;
    // (priority, submission order) → task
    std::map<std::pair<int, quint64>, std::function<void(QSqlDatabase &)>> queue;

    void loop(std::promise<StepError> &ready);
    StepError setUp(QSqlDatabase &db);
    StepError setUpPostgres(QSqlDatabase &db);
    StepError migrate(QSqlDatabase &db, int fileVersion);
};

StoreWriter::StoreWriter() : d(std::make_unique<Private>()) {}

StoreWriter::~StoreWriter()
{
    {
        std::lock_guard<std::mutex> lock(d->mutex);
        d->stop = true; // tasks still queued were posted (nobody waits for them): dropped
    }
    d->wake.notify_all();
    if (d->thread.joinable())
        d->thread.join();
}

const QString &StoreWriter::key() const
{
    return d->key;
}

Result<std::shared_ptr<StoreWriter>> StoreWriter::acquire(const QString &file)
{
    Result<ProjectLocation> location = ProjectLocation::parse(file);
    if (!location)
        return Result<std::shared_ptr<StoreWriter>>::failure(location.error());
    return acquire(location.value());
}

Result<std::shared_ptr<StoreWriter>> StoreWriter::acquire(const ProjectLocation &location)
{
    Registry &r = registry();
    const QString file = location.display();
    const QString key = location.isPostgres() ? location.key() : canonicalKey(location.file);
    // Held while a new writer sets up (recognition and migration: short), so that two stores
    // opening the same file at once share one writer.
    std::lock_guard<std::mutex> lock(r.mutex);
    for (auto it = r.writers.begin(); it != r.writers.end();)
        it = it->second.expired() ? r.writers.erase(it) : std::next(it);
    if (auto existing = r.writers[key].lock())
        return existing;

    std::shared_ptr<StoreWriter> writer(new StoreWriter);
    writer->d->location = location;
    writer->d->file = file;
    writer->d->key = key;
    writer->d->connection = QStringLiteral("labelscope-writer-%1").arg(g_writerCounter.fetchAndAddRelaxed(1));
    // Shared: the thread may still be inside set_value() when get() returns here.
    auto ready = std::make_shared<std::promise<StepError>>();
    std::future<StepError> setUp = ready->get_future();
    Private *p = writer->d.get();
    writer->d->thread = std::thread([p, ready] { p->loop(*ready); });
    writer->d->threadId = writer->d->thread.get_id();
    const StepError failure = setUp.get();
    if (failure.failed()) {
        writer.reset(); // joins the thread, which has closed its connection
        return Result<std::shared_ptr<StoreWriter>>::failure(
            QStringLiteral("%1: %2: %3").arg(file, failure.step, failure.detail));
    }
    r.writers[key] = writer;
    return writer;
}

void StoreWriter::Private::loop(std::promise<StepError> &ready)
{
    StepError failure;
    {
        const bool postgres = location.isPostgres();
        QSqlDatabase db = QSqlDatabase::addDatabase(postgres ? QStringLiteral("QPSQL") : QStringLiteral("QSQLITE"),
                                                    connection);
        if (!db.isValid())
            failure = {QStringLiteral("open"),
                       postgres ? QStringLiteral("the Qt PostgreSQL driver (QPSQL) is not available: install "
                                                 "libqt6sql6-psql")
                                : QStringLiteral("the Qt SQLite driver (QSQLITE) is not available")};
        else
            failure = postgres ? setUpPostgres(db) : setUp(db);
        ready.set_value(failure);
        if (!failure.failed()) {
            for (;;) {
                std::function<void(QSqlDatabase &)> task;
                int priority = 0;
                {
                    std::unique_lock<std::mutex> lock(mutex);
                    wake.wait(lock, [this] { return stop || !queue.empty(); });
                    if (stop)
                        break;
                    priority = queue.begin()->first.first;
                    task = std::move(queue.begin()->second);
                    queue.erase(queue.begin());
                }
                task(db);
                // After a chunk of a large write, leave the lock free for a moment: another
                // process's writer polls for it every millisecond (beginImmediate) and takes it
                // now, instead of waiting for the whole run. This process's own decisions need
                // no gap: the queue puts them before the next chunk.
                if (priority == int(Priority::Bulk))
                    std::this_thread::sleep_for(std::chrono::milliseconds(kYieldMs));
            }
        }
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(connection);
}

StepError StoreWriter::Private::setUp(QSqlDatabase &db)
{
    db.setDatabaseName(file);
    // SQLite's busy handler only while setting up (switching to WAL needs a lock no reader may
    // hold); write transactions wait in beginImmediate()'s own loop.
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        return {QStringLiteral("open"), sqlError(db.lastError()), sqliteCode(db.lastError())};
    QSqlError e;
    auto failed = [&](const QString &step) { return StepError{step, sqlError(e), sqliteCode(e)}; };
    if (!execOn(db, QStringLiteral("PRAGMA foreign_keys = ON"), &e))
        return failed(QStringLiteral("enable foreign keys"));

    // Recognise the file before writing anything to it.
    int fileVersion = 0;
    bool empty = false;
    if (const StepError r = recogniseProject(db, &fileVersion, &empty); r.failed())
        return r;

    // WAL: readers never block the writer, and the writer never blocks readers.
    {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("PRAGMA journal_mode = WAL")) || !q.next()) {
            e = q.lastError();
            return failed(QStringLiteral("set WAL journal mode"));
        }
        if (q.value(0).toString().compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
            return {QStringLiteral("set WAL journal mode"),
                    QStringLiteral("journal mode is %1").arg(q.value(0).toString())};
    }
    // synchronous = FULL: in WAL mode, NORMAL syncs the WAL only at checkpoints, so a commit that
    // returned (an annotator's decision, acknowledged on screen) can be lost on power loss or an
    // OS crash. FULL syncs the WAL at every commit: each decision is durable once
    // applyDecisions() returns, for one fsync per commit (RESULTS.md "Session 8: store").
    if (!execOn(db, QStringLiteral("PRAGMA synchronous = FULL"), &e))
        return failed(QStringLiteral("set synchronous"));
    if (!execOn(db, QStringLiteral("PRAGMA busy_timeout = 0"), &e))
        return failed(QStringLiteral("set busy timeout"));
    // A 64 MiB page cache (SQLite's default is 2 MiB): a bulk decision dirties most pages of
    // `samples` and of the label_events index, and with the default cache SQLite spills them to
    // the WAL in the middle of the transaction (RESULTS.md "Session 11: bulk relabel").
    if (!execOn(db, QStringLiteral("PRAGMA cache_size = -65536"), &e))
        return failed(QStringLiteral("set cache size"));

    return migrate(db, fileVersion);
}

// Connects to the server, creates the project's schema when it does not exist yet (a new
// project, as open() creates a new file), and works in it (search_path).
StepError StoreWriter::Private::setUpPostgres(QSqlDatabase &db)
{
    location.configure(db);
    if (!db.open())
        return {QStringLiteral("connect"), sqlError(db.lastError())};
    QSqlError e;
    auto failed = [&](const QString &step) { return StepError{step, sqlError(e)}; };
    // A write transaction waits at most kLockWaitMs for another client's write lock.
    if (!execOn(db, QStringLiteral("SET lock_timeout = %1").arg(kLockWaitMs), &e))
        return failed(QStringLiteral("set lock timeout"));
    // Every commit durable before it returns (the server's default; a cluster may lower it).
    if (!execOn(db, QStringLiteral("SET synchronous_commit = on"), &e))
        return failed(QStringLiteral("set synchronous_commit"));
    {
        QSqlQuery q(db);
        q.prepare(QStringLiteral("SELECT count(*) FROM pg_namespace WHERE nspname = ?"));
        q.addBindValue(location.project);
        if (!q.exec() || !q.next()) {
            e = q.lastError();
            return failed(QStringLiteral("look up the project"));
        }
        if (q.value(0).toInt() == 0
            && !execOn(db, QStringLiteral("CREATE SCHEMA IF NOT EXISTS %1").arg(location.quotedSchema()), &e))
            return failed(QStringLiteral("create the project"));
    }
    if (!execOn(db, QStringLiteral("SET search_path TO %1").arg(location.quotedSchema()), &e))
        return failed(QStringLiteral("use the project"));
    int fileVersion = 0;
    bool empty = false;
    if (const StepError r = recogniseProject(db, &fileVersion, &empty); r.failed())
        return r;
    return migrate(db, fileVersion);
}

StepError StoreWriter::Private::migrate(QSqlDatabase &db, int fileVersion)
{
    QSqlError e;
    auto failed = [&](const QString &step) { return StepError{step, sqlError(e), sqliteCode(e)}; };
    if (fileVersion < ProjectStore::kSchemaVersion) {
        const QString step = QStringLiteral("migrate schema");
        QString detail;
        if (!beginImmediate(db, &detail))
            return {step + QStringLiteral(" (begin transaction)"), detail};
        auto rollback = [&] { QSqlQuery(db).exec(QStringLiteral("ROLLBACK")); };
        // Another process may have created or migrated the file meanwhile: re-read under the lock.
        if (!readSchemaVersion(db, &fileVersion, &e)) {
            rollback();
            return failed(step);
        }
        if (fileVersion > ProjectStore::kSchemaVersion) {
            rollback();
            return {QStringLiteral("open"), schemaTooNewMessage(fileVersion)};
        }
        for (int v = fileVersion; v < ProjectStore::kSchemaVersion; ++v) {
            if (!migrations()[std::size_t(v)](db, &detail)) {
                rollback();
                return {QStringLiteral("migrate schema from version %1 to %2").arg(v).arg(v + 1), detail};
            }
        }
        if (fileVersion < ProjectStore::kSchemaVersion
            && !writeSchemaVersion(db, ProjectStore::kSchemaVersion, &e)) {
            rollback();
            return failed(QStringLiteral("set schema version"));
        }
        if (!execOn(db, QStringLiteral("COMMIT"), &e)) {
            rollback();
            return failed(step + QStringLiteral(" (commit)"));
        }
    }
    return {};
}

bool StoreWriter::beginImmediate(QSqlDatabase &db, QString *detail)
{
    if (dialectOf(db) == SqlDialect::PostgreSQL) {
        // The project's write lock: a transaction-level advisory lock keyed by its schema, waited
        // for up to lock_timeout (kLockWaitMs, set at connection), released at COMMIT/ROLLBACK.
        QSqlQuery q(db);
        if (q.exec(QStringLiteral("BEGIN"))
            && q.exec(QStringLiteral("SELECT pg_advisory_xact_lock(hashtext('labelscope:' || current_schema()))")))
            return true;
        *detail = sqlError(q.lastError());
        QSqlQuery(db).exec(QStringLiteral("ROLLBACK"));
        return false;
    }
    // SQLite's busy handler sleeps 1, 2, 5, ... up to 100 ms between tries, so a writer that
    // releases the lock for a moment between short chunks (another process saving a run) would
    // rarely be caught. Polling every millisecond catches it.
    QElapsedTimer waited;
    waited.start();
    for (;;) {
        QSqlQuery q(db);
        if (q.exec(QStringLiteral("BEGIN IMMEDIATE")))
            return true;
        const QSqlError e = q.lastError();
        if (sqliteCode(e) != kSqliteBusy || waited.elapsed() >= kLockWaitMs) {
            *detail = sqlError(e);
            if (sqliteCode(e) == kSqliteBusy)
                *detail += QStringLiteral("; waited %1 s for it").arg(kLockWaitMs / 1000);
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

bool StoreWriter::run(Priority priority, const std::function<bool(QSqlDatabase &db)> &task)
{
    if (std::this_thread::get_id() == d->threadId) { // from a task: run inline (never queue on itself)
        QSqlDatabase db = QSqlDatabase::database(d->connection, false);
        return task(db);
    }
    // Shared: the writer thread may still be inside set_value() when get() returns here.
    auto done = std::make_shared<std::promise<bool>>();
    std::future<bool> result = done->get_future();
    {
        std::lock_guard<std::mutex> lock(d->mutex);
        // TASK is used by reference: this caller waits until it has run.
        d->queue.emplace(std::make_pair(int(priority), d->nextSeq++), [&task, done](QSqlDatabase &db) {
            bool ok = false;
            try {
                ok = task(db);
            } catch (...) { // never let an exception end the writer thread
                ok = false;
            }
            done->set_value(ok);
        });
    }
    d->wake.notify_one();
    return result.get();
}

void StoreWriter::post(Priority priority, std::function<void(QSqlDatabase &db)> task)
{
    {
        std::lock_guard<std::mutex> lock(d->mutex);
        if (d->stop)
            return;
        d->queue.emplace(std::make_pair(int(priority), d->nextSeq++),
                         [task = std::move(task)](QSqlDatabase &db) {
                             try {
                                 task(db);
                             } catch (...) {
                             }
                         });
    }
    d->wake.notify_one();
}

bool StoreWriter::isWriting(qint64 runId) const
{
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.runsMutex);
    return r.writingRuns.count({d->key, runId}) > 0;
}

void StoreWriter::setWriting(qint64 runId, bool writing)
{
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.runsMutex);
    if (writing)
        r.writingRuns.insert({d->key, runId});
    else
        r.writingRuns.erase({d->key, runId});
}

QJsonObject StoreWriter::processIdentity(qint64 pid)
{
    if (pid <= 0)
        pid = QCoreApplication::applicationPid();
    return QJsonObject{{QStringLiteral("host"), QSysInfo::machineHostName()},
                       {QStringLiteral("boot"), bootId()},
                       {QStringLiteral("pid"), pid},
                       {QStringLiteral("start"), processStartTime(pid)}};
}

bool StoreWriter::processIsGone(const QJsonObject &identity)
{
    const qint64 pid = qint64(identity.value(QStringLiteral("pid")).toDouble());
    if (pid <= 0)
        return true; // no identity recorded: nobody can be writing it
    if (identity.value(QStringLiteral("host")).toString() != QSysInfo::machineHostName())
        return false; // another machine (a shared folder): no way to tell
    const QString boot = identity.value(QStringLiteral("boot")).toString();
    if (!boot.isEmpty() && boot != bootId())
        return true; // the machine restarted since
#ifdef Q_OS_UNIX
    if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
        return true;
#else
    return false;
#endif
    // The pid exists; it is the writer only if it started at the recorded time.
    const QString start = identity.value(QStringLiteral("start")).toString();
    const QString now = processStartTime(pid);
    return !start.isEmpty() && !now.isEmpty() && start != now;
}

} // namespace labelscope
