#include "projectstore.h"

#include <QAtomicInteger>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSysInfo>
#include <QThread>
#include <QVariant>
#include <QtEndian>

#include <cstring>
#include <functional>
#include <type_traits>

namespace labelscope {

namespace {

// Stable forever: how a Labelscope project is recognised, whatever its schema version.
const char kMarkerKey[] = "application";
const char kMarkerValue[] = "labelscope";

QAtomicInteger<quint64> g_connectionCounter;

QString sqlError(const QSqlError &e)
{
    QString s = e.text().trimmed();
    if (s.isEmpty())
        s = QStringLiteral("unknown SQL error");
    return s;
}

QString isoTime(const QDateTime &t)
{
    if (!t.isValid())
        return QString();
    return t.toUTC().toString(Qt::ISODateWithMs);
}

QVariant isoTimeOrNull(const QDateTime &t)
{
    return t.isValid() ? QVariant(isoTime(t)) : QVariant();
}

QDateTime parseTime(const QVariant &v)
{
    if (v.isNull())
        return QDateTime();
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toUTC() : t;
}

QString toJson(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QJsonObject fromJson(const QVariant &v)
{
    if (v.isNull())
        return QJsonObject();
    return QJsonDocument::fromJson(v.toString().toUtf8()).object();
}

// Little-endian arrays as BLOBs.
template <typename T>
QByteArray encodeLE(const T *p, std::size_t n)
{
    static_assert(std::is_arithmetic_v<T>);
    QByteArray b(qsizetype(n * sizeof(T)), Qt::Uninitialized);
    if (n == 0)
        return b;
    if constexpr (QSysInfo::ByteOrder == QSysInfo::LittleEndian)
        std::memcpy(b.data(), p, n * sizeof(T));
    else
        qToLittleEndian<T>(p, qsizetype(n), b.data());
    return b;
}

template <typename T>
bool decodeLE(const QVariant &v, std::vector<T> *out)
{
    out->clear();
    if (v.isNull())
        return true;
    const QByteArray b = v.toByteArray();
    if (b.size() % qsizetype(sizeof(T)) != 0)
        return false;
    out->resize(std::size_t(b.size()) / sizeof(T));
    if (out->empty())
        return true;
    if constexpr (QSysInfo::ByteOrder == QSysInfo::LittleEndian)
        std::memcpy(out->data(), b.constData(), std::size_t(b.size()));
    else
        qFromLittleEndian<T>(b.constData(), qsizetype(out->size()), out->data());
    return true;
}

// A null QString binds as SQL NULL; text columns are NOT NULL.
QString notNull(const QString &s)
{
    return s.isNull() ? QString(QLatin1String("")) : s;
}

bool isDecisionReason(const QString &r)
{
    return r == QLatin1String("relabel") || r == QLatin1String("undo") || r == QLatin1String("redo")
        || r == QLatin1String("accept") || r == QLatin1String("exclude");
}

// ---- schema and migrations ------------------------------------------------------------------

using Migration = std::function<bool(QSqlDatabase &db, QString *detail)>;

bool execAll(QSqlDatabase &db, const QStringList &statements, QString *detail)
{
    QSqlQuery q(db);
    for (const QString &s : statements) {
        if (!q.exec(s)) {
            *detail = sqlError(q.lastError());
            return false;
        }
    }
    return true;
}

// Version 0 → 1: the whole first schema.
bool migrate0to1(QSqlDatabase &db, QString *detail)
{
    const QStringList statements = {
        QStringLiteral("CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT)"),
        QStringLiteral("CREATE TABLE classes (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"),
        QStringLiteral(
            "CREATE TABLE samples ("
            " id INTEGER PRIMARY KEY,"
            " source TEXT NOT NULL,"
            " path TEXT NOT NULL,"
            " \"offset\" INTEGER NOT NULL DEFAULT -1,"
            " split TEXT NOT NULL DEFAULT '',"
            " true_label INTEGER NOT NULL DEFAULT -1,"
            " given_label INTEGER NOT NULL DEFAULT -1,"
            " label INTEGER NOT NULL DEFAULT -1,"
            " excluded INTEGER NOT NULL DEFAULT 0 CHECK (excluded IN (0, 1)))"),
        QStringLiteral(
            "CREATE TABLE label_events ("
            " id INTEGER PRIMARY KEY,"
            " sample_id INTEGER NOT NULL REFERENCES samples(id),"
            " time TEXT NOT NULL,"
            " annotator TEXT NOT NULL DEFAULT '',"
            " old_label INTEGER NOT NULL,"
            " new_label INTEGER NOT NULL,"
            " old_excluded INTEGER NOT NULL CHECK (old_excluded IN (0, 1)),"
            " new_excluded INTEGER NOT NULL CHECK (new_excluded IN (0, 1)),"
            " reason TEXT NOT NULL CHECK (reason IN"
            "  ('import', 'relabel', 'undo', 'redo', 'accept', 'exclude')))"),
        QStringLiteral("CREATE INDEX label_events_sample ON label_events(sample_id)"),
        QStringLiteral("CREATE TRIGGER label_events_no_update BEFORE UPDATE ON label_events"
                       " BEGIN SELECT RAISE(ABORT, 'label_events is append-only'); END"),
        QStringLiteral("CREATE TRIGGER label_events_no_delete BEFORE DELETE ON label_events"
                       " BEGIN SELECT RAISE(ABORT, 'label_events is append-only'); END"),
        QStringLiteral(
            "CREATE TABLE runs ("
            " id INTEGER PRIMARY KEY,"
            " started TEXT,"
            " finished TEXT,"
            " status TEXT NOT NULL,"
            " settings TEXT NOT NULL DEFAULT '{}',"
            " summary TEXT NOT NULL DEFAULT '{}')"),
        QStringLiteral("CREATE INDEX runs_status ON runs(status)"),
        QStringLiteral(
            "CREATE TABLE scores ("
            " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
            " sample_id INTEGER NOT NULL REFERENCES samples(id),"
            " noise_score REAL NOT NULL,"
            " category TEXT NOT NULL CHECK (category IN"
            "  ('easy', 'hard', 'need_review', 'unknown')),"
            " sigma REAL NOT NULL,"
            " mean_prob REAL NOT NULL,"
            " std_prob REAL NOT NULL,"
            " mean_margin REAL NOT NULL,"
            " pred_label INTEGER NOT NULL,"
            " pred_prob REAL NOT NULL,"
            " PRIMARY KEY (run_id, sample_id)) WITHOUT ROWID"),
        QStringLiteral(
            "CREATE TABLE dynamics ("
            " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
            " sample_id INTEGER NOT NULL REFERENCES samples(id),"
            " epochs INTEGER NOT NULL,"
            " sigma BLOB,"       // float32 LE [epochs]
            " prob_given BLOB,"  // float32 LE [epochs]
            " margin BLOB,"      // float32 LE [epochs]
            " predicted BLOB,"   // int16 LE [epochs]
            " PRIMARY KEY (run_id, sample_id))"),
        QStringLiteral(
            "CREATE TABLE embeddings ("
            " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
            " sample_id INTEGER NOT NULL REFERENCES samples(id),"
            " vec BLOB NOT NULL,"  // float32 LE [dim]
            " PRIMARY KEY (run_id, sample_id))"),
        QStringLiteral("INSERT INTO meta(key, value) VALUES ('%1', '%2')")
            .arg(QLatin1String(kMarkerKey), QLatin1String(kMarkerValue)),
    };
    return execAll(db, statements, detail);
}

// migrations()[n] takes a project from schema version n to n + 1. Append, never edit.
const std::vector<Migration> &migrations()
{
    static const std::vector<Migration> table = {migrate0to1};
    return table;
}

} // namespace

// ---- Private --------------------------------------------------------------------------------

struct ProjectStore::Private {
    QString file;
    QString connection;
    QSqlDatabase db;
    bool isOpen = false;
    mutable QString lastError;

    bool fail(QString *error, const QString &step, const QString &detail) const
    {
        lastError = QStringLiteral("%1: %2: %3").arg(file, step, detail);
        if (error)
            *error = lastError;
        return false;
    }
    bool failQuery(QString *error, const QString &step, const QSqlQuery &q) const
    {
        return fail(error, step, sqlError(q.lastError()));
    }
    bool notOpen(QString *error) const
    {
        return fail(error, QStringLiteral("access"), QStringLiteral("no project is open"));
    }

    bool exec(const QString &sql, const QString &step, QString *error)
    {
        QSqlQuery q(db);
        if (!q.exec(sql))
            return failQuery(error, step, q);
        return true;
    }

    // A write transaction: BEGIN IMMEDIATE takes the write lock up front (waiting busy_timeout),
    // so that a read-then-write transaction never fails half-way on a lock upgrade.
    bool begin(const QString &step, QString *error)
    {
        return exec(QStringLiteral("BEGIN IMMEDIATE"), step + QStringLiteral(" (begin transaction)"),
                    error);
    }
    bool commit(const QString &step, QString *error)
    {
        if (exec(QStringLiteral("COMMIT"), step + QStringLiteral(" (commit)"), error))
            return true;
        rollback();
        return false;
    }
    void rollback()
    {
        QSqlQuery q(db);
        q.exec(QStringLiteral("ROLLBACK"));
    }
    // Rolls back and reports; for use while a transaction is open.
    bool abort(QString *error, const QString &step, const QString &detail)
    {
        rollback();
        return fail(error, step, detail);
    }
    bool abortQuery(QString *error, const QString &step, const QSqlQuery &q)
    {
        const QString detail = sqlError(q.lastError());
        return abort(error, step, detail);
    }

    void closeConnection()
    {
        if (connection.isEmpty())
            return;
        if (db.isOpen())
            db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connection);
        connection.clear();
        isOpen = false;
    }

    bool scalar(const QString &sql, QVariant *out, QString *detail) const
    {
        QSqlQuery q(db);
        q.setForwardOnly(true);
        if (!q.exec(sql)) {
            *detail = sqlError(q.lastError());
            return false;
        }
        *out = q.next() ? q.value(0) : QVariant();
        return true;
    }
};

// ---- ProjectStore ---------------------------------------------------------------------------

ProjectStore::ProjectStore() : d(std::make_unique<Private>()) {}

ProjectStore::~ProjectStore()
{
    close();
}

bool ProjectStore::open(const QString &file, QString *error)
{
    close();
    d->file = file;
    if (migrations().size() != std::size_t(kSchemaVersion))
        return d->fail(error, QStringLiteral("open"),
                       QStringLiteral("internal error: %1 migrations for schema version %2")
                           .arg(migrations().size())
                           .arg(kSchemaVersion));

    if (file.isEmpty())
        return d->fail(error, QStringLiteral("open"), QStringLiteral("no file name given"));
    const QFileInfo info(file);
    if (info.exists()) {
        if (info.isDir())
            return d->fail(error, QStringLiteral("open"), QStringLiteral("is a directory"));
        if (info.size() > 0) {
            QFile f(file);
            if (!f.open(QIODevice::ReadOnly))
                return d->fail(error, QStringLiteral("open"), f.errorString());
            const QByteArray header = f.read(16);
            if (header != QByteArray("SQLite format 3\0", 16))
                return d->fail(error, QStringLiteral("open"),
                               QStringLiteral("not a Labelscope project (not an SQLite database)"));
        }
    }

    d->connection = QStringLiteral("labelscope-%1-%2")
                        .arg(g_connectionCounter.fetchAndAddRelaxed(1))
                        .arg(quintptr(QThread::currentThreadId()), 0, 16);
    d->db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), d->connection);
    if (!d->db.isValid()) {
        const QString detail = QStringLiteral("the Qt SQLite driver (QSQLITE) is not available");
        d->closeConnection();
        return d->fail(error, QStringLiteral("open"), detail);
    }
    d->db.setDatabaseName(file);
    d->db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!d->db.open()) {
        const QString detail = sqlError(d->db.lastError());
        d->closeConnection();
        return d->fail(error, QStringLiteral("open"), detail);
    }

    auto refuse = [&](const QString &step, const QString &detail) {
        d->closeConnection();
        return d->fail(error, step, detail);
    };

    QString detail;
    if (!d->exec(QStringLiteral("PRAGMA busy_timeout = 5000"), QStringLiteral("set busy timeout"),
                 error)
        || !d->exec(QStringLiteral("PRAGMA foreign_keys = ON"), QStringLiteral("enable foreign keys"),
                    error)) {
        d->closeConnection();
        return false;
    }

    // Recognise the file before writing anything to it.
    QVariant objects, version;
    if (!d->scalar(QStringLiteral("SELECT count(*) FROM sqlite_master"), &objects, &detail))
        return refuse(QStringLiteral("read schema"),
                      QStringLiteral("not a Labelscope project (%1)").arg(detail));
    if (!d->scalar(QStringLiteral("PRAGMA user_version"), &version, &detail))
        return refuse(QStringLiteral("read schema version"), detail);
    int fileVersion = version.toInt();
    const bool empty = objects.toLongLong() == 0 && fileVersion == 0;
    if (!empty) {
        QVariant hasMeta, marker;
        if (!d->scalar(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
                                      " name = 'meta'"),
                       &hasMeta, &detail))
            return refuse(QStringLiteral("read schema"), detail);
        if (hasMeta.toInt() == 1
            && !d->scalar(QStringLiteral("SELECT value FROM meta WHERE key = '%1'")
                              .arg(QLatin1String(kMarkerKey)),
                          &marker, &detail))
            return refuse(QStringLiteral("read meta"), detail);
        if (marker.toString() != QLatin1String(kMarkerValue))
            return refuse(QStringLiteral("open"),
                          QStringLiteral("not a Labelscope project (an SQLite database without "
                                         "the Labelscope marker)"));
        if (fileVersion > kSchemaVersion)
            return refuse(QStringLiteral("open"),
                          QStringLiteral("project schema version %1 is newer than this Labelscope "
                                         "supports (%2); update Labelscope")
                              .arg(fileVersion)
                              .arg(kSchemaVersion));
        if (fileVersion < 1)
            return refuse(QStringLiteral("open"),
                          QStringLiteral("invalid project schema version %1").arg(fileVersion));
    }

    // WAL: readers never block the writer; a GUI-thread and a worker-thread store share the file.
    QVariant mode;
    if (!d->scalar(QStringLiteral("PRAGMA journal_mode = WAL"), &mode, &detail))
        return refuse(QStringLiteral("set WAL journal mode"), detail);
    if (mode.toString().compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
        return refuse(QStringLiteral("set WAL journal mode"),
                      QStringLiteral("journal mode is %1").arg(mode.toString()));
    if (!d->exec(QStringLiteral("PRAGMA synchronous = NORMAL"), QStringLiteral("set synchronous"),
                 error)) {
        d->closeConnection();
        return false;
    }

    if (fileVersion < kSchemaVersion) {
        const QString step = QStringLiteral("migrate schema");
        if (!d->begin(step, error)) {
            d->closeConnection();
            return false;
        }
        // Another connection may have created or migrated the file meanwhile: re-read under the lock.
        if (!d->scalar(QStringLiteral("PRAGMA user_version"), &version, &detail)) {
            d->rollback();
            return refuse(step, detail);
        }
        fileVersion = version.toInt();
        if (fileVersion > kSchemaVersion) {
            d->rollback();
            return refuse(QStringLiteral("open"),
                          QStringLiteral("project schema version %1 is newer than this Labelscope "
                                         "supports (%2); update Labelscope")
                              .arg(fileVersion)
                              .arg(kSchemaVersion));
        }
        for (int v = fileVersion; v < kSchemaVersion; ++v) {
            if (!migrations()[std::size_t(v)](d->db, &detail)) {
                d->rollback();
                return refuse(QStringLiteral("migrate schema from version %1 to %2").arg(v).arg(v + 1),
                              detail);
            }
        }
        if (fileVersion < kSchemaVersion
            && !d->exec(QStringLiteral("PRAGMA user_version = %1").arg(kSchemaVersion),
                        QStringLiteral("set schema version"), error)) {
            d->rollback();
            d->closeConnection();
            return false;
        }
        if (!d->commit(step, error)) {
            d->closeConnection();
            return false;
        }
    }

    d->isOpen = true;
    d->lastError.clear();
    return true;
}

void ProjectStore::close()
{
    d->closeConnection();
}

bool ProjectStore::isOpen() const
{
    return d->isOpen;
}

QString ProjectStore::fileName() const
{
    return d->file;
}

QString ProjectStore::lastError() const
{
    return d->lastError;
}

QString ProjectStore::meta(const QString &key) const
{
    if (!d->isOpen)
        return QString();
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT value FROM meta WHERE key = ?"));
    q.bindValue(0, key);
    if (!q.exec()) {
        d->failQuery(nullptr, QStringLiteral("read meta"), q);
        return QString();
    }
    return q.next() ? q.value(0).toString() : QString();
}

bool ProjectStore::setMeta(const QString &key, const QString &value, QString *error)
{
    if (!d->isOpen)
        return d->notOpen(error);
    if (key == QLatin1String(kMarkerKey))
        return d->fail(error, QStringLiteral("write meta"),
                       QStringLiteral("the key '%1' is reserved").arg(key));
    QSqlQuery q(d->db);
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"));
    q.bindValue(0, key);
    q.bindValue(1, value);
    if (!q.exec())
        return d->failQuery(error, QStringLiteral("write meta '%1'").arg(key), q);
    return true;
}

bool ProjectStore::importDataset(const Dataset &dataset, QString *error)
{
    if (!d->isOpen)
        return d->notOpen(error);
    const QString step = QStringLiteral("import dataset");
    const int k = int(dataset.classes.size());
    for (std::size_t i = 0; i < dataset.samples.size(); ++i) {
        const Sample &s = dataset.samples[i];
        if (s.label < -1 || s.label >= k || s.trueLabel < -1 || s.trueLabel >= k)
            return d->fail(error, step,
                           QStringLiteral("sample %1 (%2) has a label outside [-1, %3]")
                               .arg(i)
                               .arg(s.path)
                               .arg(k - 1));
    }

    if (!d->begin(step, error))
        return false;
    {
        QVariant count;
        QString detail;
        if (!d->scalar(QStringLiteral("SELECT count(*) FROM samples"), &count, &detail))
            return d->abort(error, step, detail);
        if (count.toLongLong() > 0)
            return d->abort(error, step,
                            QStringLiteral("the project already holds %1 samples").arg(count.toLongLong()));
    }
    {
        QSqlQuery q(d->db);
        if (!q.exec(QStringLiteral("DELETE FROM classes")))
            return d->abortQuery(error, step + QStringLiteral(" (classes)"), q);
        if (!q.prepare(QStringLiteral("INSERT INTO classes(id, name) VALUES (?, ?)")))
            return d->abortQuery(error, step + QStringLiteral(" (classes)"), q);
        for (int c = 0; c < k; ++c) {
            q.bindValue(0, c);
            q.bindValue(1, dataset.classes[c]);
            if (!q.exec())
                return d->abortQuery(error, step + QStringLiteral(" (class %1)").arg(c), q);
        }
    }
    {
        const QString time = isoTime(QDateTime::currentDateTimeUtc());
        QSqlQuery qs(d->db), qe(d->db);
        if (!qs.prepare(QStringLiteral(
                "INSERT INTO samples(id, source, path, \"offset\", split, true_label, given_label,"
                " label, excluded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)")))
            return d->abortQuery(error, step + QStringLiteral(" (samples)"), qs);
        if (!qe.prepare(QStringLiteral(
                "INSERT INTO label_events(sample_id, time, annotator, old_label, new_label,"
                " old_excluded, new_excluded, reason) VALUES (?, ?, '', -1, ?, 0, 0, 'import')")))
            return d->abortQuery(error, step + QStringLiteral(" (events)"), qe);
        qe.bindValue(1, time);
        for (std::size_t i = 0; i < dataset.samples.size(); ++i) {
            const Sample &s = dataset.samples[i];
            const qint64 id = qint64(i) + 1;
            qs.bindValue(0, id);
            qs.bindValue(1, notNull(s.source));
            qs.bindValue(2, notNull(s.path));
            qs.bindValue(3, s.offset);
            qs.bindValue(4, notNull(s.split));
            qs.bindValue(5, s.trueLabel);
            qs.bindValue(6, s.label);
            qs.bindValue(7, s.label);
            if (!qs.exec())
                return d->abortQuery(error, step + QStringLiteral(" (sample %1)").arg(i), qs);
            qe.bindValue(0, id);
            qe.bindValue(2, s.label);
            if (!qe.exec())
                return d->abortQuery(error, step + QStringLiteral(" (event of sample %1)").arg(i), qe);
        }
    }
    if (!dataset.spec.isEmpty()) {
        QSqlQuery q(d->db);
        q.prepare(QStringLiteral("INSERT OR REPLACE INTO meta(key, value) VALUES ('data_spec', ?)"));
        q.bindValue(0, dataset.spec);
        if (!q.exec())
            return d->abortQuery(error, step + QStringLiteral(" (meta data_spec)"), q);
    }
    return d->commit(step, error);
}

QStringList ProjectStore::classes() const
{
    QStringList out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT name FROM classes ORDER BY id"))) {
        d->failQuery(nullptr, QStringLiteral("read classes"), q);
        return out;
    }
    while (q.next())
        out << q.value(0).toString();
    return out;
}

qint64 ProjectStore::sampleCount() const
{
    if (!d->isOpen)
        return 0;
    QVariant v;
    QString detail;
    if (!d->scalar(QStringLiteral("SELECT count(*) FROM samples"), &v, &detail)) {
        d->fail(nullptr, QStringLiteral("count samples"), detail);
        return 0;
    }
    return v.toLongLong();
}

namespace {
const char kSampleColumns[] =
    "SELECT id, source, path, \"offset\", split, true_label, given_label, label, excluded"
    " FROM samples";

SampleRow readSampleRow(const QSqlQuery &q)
{
    SampleRow r;
    r.id = q.value(0).toLongLong();
    r.sample.source = q.value(1).toString();
    r.sample.path = q.value(2).toString();
    r.sample.offset = q.value(3).toLongLong();
    r.sample.split = q.value(4).toString();
    r.sample.trueLabel = q.value(5).toInt();
    r.givenLabel = q.value(6).toInt();
    r.sample.label = r.givenLabel;
    r.label = q.value(7).toInt();
    r.excluded = q.value(8).toInt() != 0;
    return r;
}
} // namespace

std::vector<SampleRow> ProjectStore::samples() const
{
    std::vector<SampleRow> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    if (!q.exec(QLatin1String(kSampleColumns) + QStringLiteral(" ORDER BY id"))) {
        d->failQuery(nullptr, QStringLiteral("read samples"), q);
        return out;
    }
    while (q.next())
        out.push_back(readSampleRow(q));
    return out;
}

std::optional<SampleRow> ProjectStore::sample(qint64 id) const
{
    if (!d->isOpen)
        return std::nullopt;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QLatin1String(kSampleColumns) + QStringLiteral(" WHERE id = ?"));
    q.bindValue(0, id);
    if (!q.exec()) {
        d->failQuery(nullptr, QStringLiteral("read sample %1").arg(id), q);
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return readSampleRow(q);
}

bool ProjectStore::applyDecisions(const std::vector<Decision> &decisions, const QString &annotator,
                                  QString *error)
{
    if (!d->isOpen)
        return d->notOpen(error);
    const QString step = QStringLiteral("apply decisions");
    if (decisions.empty())
        return true;

    // Everything is checked before anything is written; one bad decision refuses the batch.
    std::vector<QString> reasons(decisions.size());
    for (std::size_t i = 0; i < decisions.size(); ++i) {
        const QString &r = decisions[i].reason;
        reasons[i] = r.isEmpty() ? QStringLiteral("relabel") : r;
        if (!isDecisionReason(reasons[i]))
            return d->fail(error, step,
                           QStringLiteral("decision %1 (sample %2) has an invalid reason '%3'; "
                                          "no decision was applied")
                               .arg(i)
                               .arg(decisions[i].sampleId)
                               .arg(r));
    }

    if (!d->begin(step, error))
        return false;
    const QString time = isoTime(QDateTime::currentDateTimeUtc());
    {
        QVariant kv;
        QString detail;
        if (!d->scalar(QStringLiteral("SELECT count(*) FROM classes"), &kv, &detail))
            return d->abort(error, step, detail);
        const int k = kv.toInt();

        QSqlQuery sel(d->db), upd(d->db), ins(d->db);
        sel.setForwardOnly(true);
        if (!sel.prepare(QStringLiteral("SELECT label, excluded FROM samples WHERE id = ?")))
            return d->abortQuery(error, step, sel);
        for (std::size_t i = 0; i < decisions.size(); ++i) {
            const Decision &dec = decisions[i];
            if (dec.newLabel < -1 || dec.newLabel >= k)
                return d->abort(error, step,
                                QStringLiteral("decision %1: label %2 of sample %3 is outside "
                                               "[-1, %4]; no decision was applied")
                                    .arg(i)
                                    .arg(dec.newLabel)
                                    .arg(dec.sampleId)
                                    .arg(k - 1));
            sel.bindValue(0, dec.sampleId);
            if (!sel.exec())
                return d->abortQuery(error, step, sel);
            const bool found = sel.next();
            sel.finish();
            if (!found)
                return d->abort(error, step,
                                QStringLiteral("decision %1: no sample with id %2; no decision "
                                               "was applied")
                                    .arg(i)
                                    .arg(dec.sampleId));
        }

        if (!upd.prepare(QStringLiteral("UPDATE samples SET label = ?, excluded = ? WHERE id = ?")))
            return d->abortQuery(error, step, upd);
        if (!ins.prepare(QStringLiteral(
                "INSERT INTO label_events(sample_id, time, annotator, old_label, new_label,"
                " old_excluded, new_excluded, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")))
            return d->abortQuery(error, step, ins);
        ins.bindValue(1, time);
        ins.bindValue(2, notNull(annotator));
        for (std::size_t i = 0; i < decisions.size(); ++i) {
            const Decision &dec = decisions[i];
            // Read the state again: the same sample may occur twice in one batch.
            sel.bindValue(0, dec.sampleId);
            if (!sel.exec() || !sel.next())
                return d->abortQuery(error, step, sel);
            const int oldLabel = sel.value(0).toInt();
            const int oldExcluded = sel.value(1).toInt() != 0 ? 1 : 0;
            sel.finish();

            upd.bindValue(0, dec.newLabel);
            upd.bindValue(1, dec.excluded ? 1 : 0);
            upd.bindValue(2, dec.sampleId);
            if (!upd.exec())
                return d->abortQuery(error, step + QStringLiteral(" (sample %1)").arg(dec.sampleId),
                                     upd);
            ins.bindValue(0, dec.sampleId);
            ins.bindValue(3, oldLabel);
            ins.bindValue(4, dec.newLabel);
            ins.bindValue(5, oldExcluded);
            ins.bindValue(6, dec.excluded ? 1 : 0);
            ins.bindValue(7, reasons[i]);
            if (!ins.exec())
                return d->abortQuery(error,
                                     step + QStringLiteral(" (event of sample %1)").arg(dec.sampleId),
                                     ins);
        }
    }
    return d->commit(step, error);
}

std::vector<LabelEvent> ProjectStore::events(qint64 sampleId) const
{
    std::vector<LabelEvent> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    QString sql = QStringLiteral("SELECT id, sample_id, time, annotator, old_label, new_label,"
                                 " old_excluded, new_excluded, reason FROM label_events");
    if (sampleId >= 0)
        sql += QStringLiteral(" WHERE sample_id = ?");
    sql += QStringLiteral(" ORDER BY id");
    q.prepare(sql);
    if (sampleId >= 0)
        q.bindValue(0, sampleId);
    if (!q.exec()) {
        d->failQuery(nullptr, QStringLiteral("read label events"), q);
        return out;
    }
    while (q.next()) {
        LabelEvent e;
        e.id = q.value(0).toLongLong();
        e.sampleId = q.value(1).toLongLong();
        e.time = parseTime(q.value(2));
        e.annotator = q.value(3).toString();
        e.oldLabel = q.value(4).toInt();
        e.newLabel = q.value(5).toInt();
        e.oldExcluded = q.value(6).toInt() != 0;
        e.newExcluded = q.value(7).toInt() != 0;
        e.reason = q.value(8).toString();
        out.push_back(std::move(e));
    }
    return out;
}

qint64 ProjectStore::saveRun(const RunRecord &run, QString *error)
{
    if (!d->isOpen) {
        d->notOpen(error);
        return 0;
    }
    const QString step = QStringLiteral("save run");
    auto failed = [&](const QString &detail) {
        d->fail(error, step, detail);
        return qint64(0);
    };
    if (run.status.isEmpty())
        return failed(QStringLiteral("the run has no status"));
    const Dynamics &dyn = run.dynamics;
    const std::size_t n = dyn.sampleIds.size();
    if (n > 0) {
        if (dyn.epochs <= 0)
            return failed(QStringLiteral("dynamics of %1 samples with %2 epochs").arg(n).arg(dyn.epochs));
        const std::size_t ne = n * std::size_t(dyn.epochs);
        auto okSize = [ne](std::size_t s) { return s == ne || s == 0; };
        if (!okSize(dyn.sigma.size()) || !okSize(dyn.probGiven.size()) || !okSize(dyn.margin.size())
            || !okSize(dyn.predicted.size()))
            return failed(QStringLiteral("dynamics arrays are not [%1, %2]").arg(n).arg(dyn.epochs));
    }
    const std::size_t m = run.embeddingIds.size();
    if (m > 0 && (run.embeddingDim <= 0 || run.embeddings.size() != m * std::size_t(run.embeddingDim)))
        return failed(QStringLiteral("embeddings are not [%1, %2] (%3 values)")
                          .arg(m)
                          .arg(run.embeddingDim)
                          .arg(run.embeddings.size()));

    if (!d->begin(step, error))
        return 0;
    qint64 runId = 0;
    {
        QSqlQuery q(d->db);
        q.prepare(QStringLiteral(
            "INSERT INTO runs(started, finished, status, settings, summary) VALUES (?, ?, ?, ?, ?)"));
        q.bindValue(0, isoTimeOrNull(run.started));
        q.bindValue(1, isoTimeOrNull(run.finished));
        q.bindValue(2, run.status);
        q.bindValue(3, toJson(run.settings));
        q.bindValue(4, toJson(run.summary));
        if (!q.exec()) {
            d->abortQuery(error, step + QStringLiteral(" (run row)"), q);
            return 0;
        }
        runId = q.lastInsertId().toLongLong();
        if (runId <= 0) {
            d->abort(error, step, QStringLiteral("no run id"));
            return 0;
        }
    }
    if (!run.scores.empty()) {
        QSqlQuery q(d->db);
        if (!q.prepare(QStringLiteral(
                "INSERT INTO scores(run_id, sample_id, noise_score, category, sigma, mean_prob,"
                " std_prob, mean_margin, pred_label, pred_prob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))) {
            d->abortQuery(error, step + QStringLiteral(" (scores)"), q);
            return 0;
        }
        const QString names[] = {categoryName(Category::Unknown), categoryName(Category::Easy),
                                 categoryName(Category::Hard), categoryName(Category::NeedReview)};
        q.bindValue(0, runId);
        for (const SampleScore &s : run.scores) {
            const int c = int(s.category);
            q.bindValue(1, s.sampleId);
            q.bindValue(2, double(s.noiseScore));
            q.bindValue(3, (c >= -1 && c <= 2) ? names[c + 1] : names[0]);
            q.bindValue(4, double(s.sigma));
            q.bindValue(5, double(s.meanProb));
            q.bindValue(6, double(s.stdProb));
            q.bindValue(7, double(s.meanMargin));
            q.bindValue(8, s.predLabel);
            q.bindValue(9, double(s.predProb));
            if (!q.exec()) {
                d->abortQuery(error, step + QStringLiteral(" (score of sample %1)").arg(s.sampleId), q);
                return 0;
            }
        }
    }
    if (n > 0) {
        QSqlQuery q(d->db);
        if (!q.prepare(QStringLiteral(
                "INSERT INTO dynamics(run_id, sample_id, epochs, sigma, prob_given, margin, predicted)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"))) {
            d->abortQuery(error, step + QStringLiteral(" (dynamics)"), q);
            return 0;
        }
        const std::size_t e = std::size_t(dyn.epochs);
        auto floats = [e](const std::vector<float> &v, std::size_t i) {
            return v.empty() ? QVariant(QMetaType::fromType<QByteArray>())
                             : QVariant(encodeLE(v.data() + i * e, e));
        };
        q.bindValue(0, runId);
        q.bindValue(2, dyn.epochs);
        for (std::size_t i = 0; i < n; ++i) {
            q.bindValue(1, dyn.sampleIds[i]);
            q.bindValue(3, floats(dyn.sigma, i));
            q.bindValue(4, floats(dyn.probGiven, i));
            q.bindValue(5, floats(dyn.margin, i));
            q.bindValue(6, dyn.predicted.empty()
                               ? QVariant(QMetaType::fromType<QByteArray>())
                               : QVariant(encodeLE(dyn.predicted.data() + i * e, e)));
            if (!q.exec()) {
                d->abortQuery(error,
                              step + QStringLiteral(" (dynamics of sample %1)").arg(dyn.sampleIds[i]),
                              q);
                return 0;
            }
        }
    }
    if (m > 0) {
        QSqlQuery q(d->db);
        if (!q.prepare(QStringLiteral("INSERT INTO embeddings(run_id, sample_id, vec) VALUES (?, ?, ?)"))) {
            d->abortQuery(error, step + QStringLiteral(" (embeddings)"), q);
            return 0;
        }
        const std::size_t dim = std::size_t(run.embeddingDim);
        q.bindValue(0, runId);
        for (std::size_t i = 0; i < m; ++i) {
            q.bindValue(1, run.embeddingIds[i]);
            q.bindValue(2, encodeLE(run.embeddings.data() + i * dim, dim));
            if (!q.exec()) {
                d->abortQuery(error,
                              step + QStringLiteral(" (embedding of sample %1)").arg(run.embeddingIds[i]),
                              q);
                return 0;
            }
        }
    }
    if (!d->commit(step, error))
        return 0;
    return runId;
}

namespace {
const char kRunColumns[] = "SELECT id, started, finished, status, settings, summary FROM runs";

RunInfo readRunInfo(const QSqlQuery &q)
{
    RunInfo r;
    r.id = q.value(0).toLongLong();
    r.started = parseTime(q.value(1));
    r.finished = parseTime(q.value(2));
    r.status = q.value(3).toString();
    r.settings = fromJson(q.value(4));
    r.summary = fromJson(q.value(5));
    return r;
}
} // namespace

std::vector<RunInfo> ProjectStore::runs() const
{
    std::vector<RunInfo> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    if (!q.exec(QLatin1String(kRunColumns) + QStringLiteral(" ORDER BY id"))) {
        d->failQuery(nullptr, QStringLiteral("read runs"), q);
        return out;
    }
    while (q.next())
        out.push_back(readRunInfo(q));
    return out;
}

std::optional<RunInfo> ProjectStore::latestRun() const
{
    if (!d->isOpen)
        return std::nullopt;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    if (!q.exec(QLatin1String(kRunColumns)
                + QStringLiteral(" WHERE status = 'done' ORDER BY id DESC LIMIT 1"))) {
        d->failQuery(nullptr, QStringLiteral("read latest run"), q);
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return readRunInfo(q);
}

std::vector<SampleScore> ProjectStore::scores(qint64 runId) const
{
    std::vector<SampleScore> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sample_id, noise_score, category, sigma, mean_prob, std_prob,"
                             " mean_margin, pred_label, pred_prob FROM scores WHERE run_id = ?"
                             " ORDER BY sample_id"));
    q.bindValue(0, runId);
    if (!q.exec()) {
        d->failQuery(nullptr, QStringLiteral("read scores of run %1").arg(runId), q);
        return out;
    }
    const QString easy = categoryName(Category::Easy), hard = categoryName(Category::Hard),
                  review = categoryName(Category::NeedReview);
    while (q.next()) {
        SampleScore s;
        s.sampleId = q.value(0).toLongLong();
        s.noiseScore = float(q.value(1).toDouble());
        const QString c = q.value(2).toString();
        s.category = c == easy     ? Category::Easy
                     : c == hard   ? Category::Hard
                     : c == review ? Category::NeedReview
                                   : Category::Unknown;
        s.sigma = float(q.value(3).toDouble());
        s.meanProb = float(q.value(4).toDouble());
        s.stdProb = float(q.value(5).toDouble());
        s.meanMargin = float(q.value(6).toDouble());
        s.predLabel = q.value(7).toInt();
        s.predProb = float(q.value(8).toDouble());
        out.push_back(s);
    }
    return out;
}

std::optional<Trajectory> ProjectStore::trajectory(qint64 runId, qint64 sampleId) const
{
    if (!d->isOpen)
        return std::nullopt;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT epochs, sigma, prob_given, margin, predicted FROM dynamics"
                             " WHERE run_id = ? AND sample_id = ?"));
    q.bindValue(0, runId);
    q.bindValue(1, sampleId);
    if (!q.exec()) {
        d->failQuery(nullptr, QStringLiteral("read trajectory of sample %1 in run %2")
                                  .arg(sampleId)
                                  .arg(runId),
                     q);
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    Trajectory t;
    std::vector<qint16> predicted;
    const std::size_t e = std::size_t(q.value(0).toInt());
    if (!decodeLE(q.value(1), &t.sigma) || !decodeLE(q.value(2), &t.probGiven)
        || !decodeLE(q.value(3), &t.margin) || !decodeLE(q.value(4), &predicted)
        || (!t.sigma.empty() && t.sigma.size() != e) || (!t.probGiven.empty() && t.probGiven.size() != e)
        || (!t.margin.empty() && t.margin.size() != e) || (!predicted.empty() && predicted.size() != e)) {
        d->fail(nullptr, QStringLiteral("read trajectory of sample %1 in run %2").arg(sampleId).arg(runId),
                QStringLiteral("corrupt dynamics BLOB"));
        return std::nullopt;
    }
    t.predicted.assign(predicted.begin(), predicted.end());
    return t;
}

bool ProjectStore::embeddings(qint64 runId, std::vector<qint64> *ids, std::vector<float> *data,
                              int *dim) const
{
    if (ids)
        ids->clear();
    if (data)
        data->clear();
    if (dim)
        *dim = 0;
    if (!d->isOpen)
        return d->notOpen(nullptr);
    const QString step = QStringLiteral("read embeddings of run %1").arg(runId);
    {
        QSqlQuery q(d->db);
        q.setForwardOnly(true);
        q.prepare(QStringLiteral("SELECT 1 FROM runs WHERE id = ?"));
        q.bindValue(0, runId);
        if (!q.exec())
            return d->failQuery(nullptr, step, q);
        if (!q.next())
            return d->fail(nullptr, step, QStringLiteral("no such run"));
    }
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT sample_id, vec FROM embeddings WHERE run_id = ? ORDER BY sample_id"));
    q.bindValue(0, runId);
    if (!q.exec())
        return d->failQuery(nullptr, step, q);
    int d0 = -1;
    std::vector<qint64> outIds;
    std::vector<float> outData;
    while (q.next()) {
        const QByteArray b = q.value(1).toByteArray();
        if (b.size() % 4 != 0 || b.isEmpty() || (d0 >= 0 && b.size() / 4 != d0))
            return d->fail(nullptr, step, QStringLiteral("embedding BLOBs of inconsistent size"));
        d0 = int(b.size() / 4);
        outIds.push_back(q.value(0).toLongLong());
        const std::size_t at = outData.size();
        outData.resize(at + std::size_t(d0));
        if constexpr (QSysInfo::ByteOrder == QSysInfo::LittleEndian)
            std::memcpy(outData.data() + at, b.constData(), std::size_t(b.size()));
        else
            qFromLittleEndian<float>(b.constData(), d0, outData.data() + at);
    }
    if (ids)
        *ids = std::move(outIds);
    if (data)
        *data = std::move(outData);
    if (dim)
        *dim = d0 < 0 ? 0 : d0;
    return true;
}

} // namespace labelscope
