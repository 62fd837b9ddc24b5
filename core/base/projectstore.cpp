#include "projectstore.h"

#include "projectschema.h"
#include "projectstore_p.h"

#include <QAtomicInteger>
#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QUrl>
#include <QVariant>

#include <algorithm>


namespace labelscope {

namespace {

QAtomicInteger<quint64> g_connectionCounter;

// A null QString binds as SQL NULL; text columns are NOT NULL.
QString notNull(const QString &s)
{
    return s.isNull() ? QString(QLatin1String("")) : s;
}

} // namespace

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
    const QString tableProblem = migrationTableProblem();
    if (!tableProblem.isEmpty())
        return d->fail(error, QStringLiteral("open"), tableProblem);
    if (file.isEmpty())
        return d->fail(error, QStringLiteral("open"), QStringLiteral("no file name given"));
    Result<ProjectLocation> location = ProjectLocation::parse(file);
    if (!location) {
        d->lastError = location.error();
        if (error)
            *error = d->lastError;
        return false;
    }
    d->location = std::move(location).value();
    if (d->location.isPostgres())
        return openPostgres(error);

    // Only stat() and access() here, never open(): closing any descriptor of the file would drop
    // every POSIX lock this process's SQLite connections hold on it (another process could then
    // checkpoint and delete the -wal file under them). SQLite itself recognises the file.
    const QFileInfo info(file);
    const QFileInfo folder(info.absolutePath());
    if (info.exists()) {
        if (info.isDir())
            return d->fail(error, QStringLiteral("open"), QStringLiteral("is a directory"));
        if (!info.isFile())
            return d->fail(error, QStringLiteral("open"),
                           QStringLiteral("not a regular file (a FIFO, socket or device)"));
    } else if (!folder.isDir()) {
        return d->fail(error, QStringLiteral("open"),
                       QStringLiteral("the folder %1 does not exist").arg(folder.filePath()));
    }
    // SQLite writes the -wal and -shm files beside the project: both must be writable.
    QString readOnlyReason;
    if (!folder.isWritable())
        readOnlyReason = QStringLiteral("its folder %1 is read-only").arg(folder.filePath());
    else if (info.exists() && !info.isWritable())
        readOnlyReason = QStringLiteral("the file is read-only");
    for (const QString &suffix : {QStringLiteral("-wal"), QStringLiteral("-shm")}) {
        // SQLite could read through a read-only -wal or -shm (e.g. left by another user) but
        // not write: say so now rather than at the first decision.
        const QFileInfo side(file + suffix);
        if (readOnlyReason.isEmpty() && side.exists() && !side.isWritable())
            readOnlyReason = QStringLiteral("its %1 file is read-only").arg(side.fileName());
    }
    if (!info.exists() && !readOnlyReason.isEmpty())
        return d->fail(error, QStringLiteral("create"),
                       QStringLiteral("read-only: cannot create a project in %1").arg(folder.filePath()));

    // A project that this open() was to create and could not (a full disk fails it half-way,
    // e.g. at "set WAL journal mode") leaves no 0-byte or one-page file that the next open would
    // take for a project: what SQLite created here is removed again.
    const bool created = !info.exists() && !info.isSymLink();
    const auto discardCreated = [&] {
        if (!created)
            return;
        for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm"), QStringLiteral("-journal")})
            QFile::remove(file + suffix);
    };
    if (readOnlyReason.isEmpty()) {
        Result<std::shared_ptr<StoreWriter>> writer = StoreWriter::acquire(file);
        if (!writer) {
            discardCreated();
            d->lastError = writer.error();
            if (error)
                *error = d->lastError;
            return false;
        }
        d->writer = std::move(writer.value());
    } else {
        d->readOnly = true;
        d->readOnlyReason = readOnlyReason;
    }
    if (!openReader(file, error)) {
        const QString message = d->lastError;
        d->closeConnection(); // releases the writer (and its connection) before the files go
        discardCreated();
        d->lastError = message;
        return false;
    }
    d->isOpen = true;
    d->lastError.clear();
    if (!d->readOnly)
        scheduleAbandonedRunCleanup();
    return true;
}

bool ProjectStore::openExisting(const QString &file, QString *error)
{
    close();
    d->file = file;
    if (ProjectLocation::isUrl(file)) {
        // The project (schema) must exist; a reachable server without it says so.
        const Result<bool> exists = postgresProjectExists(file);
        if (!exists) {
            d->lastError = exists.error();
            if (error)
                *error = d->lastError;
            return false;
        }
        if (!exists.value()) {
            const Result<ProjectLocation> l = ProjectLocation::parse(file);
            d->lastError = QStringLiteral("%1: no such project '%2' in database '%3'")
                               .arg(l->display(), l->project, l->database);
            if (error)
                *error = d->lastError;
            return false;
        }
        return open(file, error) && checkSamplesReadable(error);
    }
    const QFileInfo info(file);
    if (!info.exists() && !info.isSymLink()) {
        d->lastError = QStringLiteral("%1: no such project file").arg(file);
        if (error)
            *error = d->lastError;
        return false;
    }
    // A 0-byte file is what open() starts a new project in; here it is no project at all.
    if (info.isFile() && info.size() == 0)
        return d->fail(error, QStringLiteral("open"), QStringLiteral("an empty file (0 bytes), not a Labelscope project"));
    if (!open(file, error))
        return false;
    return checkSamplesReadable(error);
}

bool ProjectStore::checkSamplesReadable(QString *error)
{
    // Its samples must be readable: a damaged table would otherwise read as "0 samples" and
    // a command would go on to write into the damaged file.
    sampleCount();
    if (!d->lastError.isEmpty()) {
        const QString message = d->lastError;
        close();
        d->lastError = message;
        if (error)
            *error = message;
        return false;
    }
    return true;
}

bool ProjectStore::openReader(const QString &file, QString *error)
{
    d->connection = QStringLiteral("labelscope-%1-%2")
                        .arg(g_connectionCounter.fetchAndAddRelaxed(1))
                        .arg(quintptr(QThread::currentThreadId()), 0, 16);
    d->db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), d->connection);
    if (!d->db.isValid())
        return d->fail(error, QStringLiteral("open"),
                       QStringLiteral("the Qt SQLite driver (QSQLITE) is not available"));
    QString options = QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000");
    if (d->readOnly)
        options += QStringLiteral(";QSQLITE_OPEN_READONLY");
    auto openAs = [&](const QString &name, const QString &connectOptions) {
        d->db.setDatabaseName(name);
        d->db.setConnectOptions(connectOptions);
        return d->db.open();
    };
    // A read-only WAL project closed cleanly (no -wal file): nothing to replay, so it is read as
    // immutable (https://www.sqlite.org/wal.html, "Read-Only Databases"). Otherwise SQLite would
    // need a -shm file: in a read-only folder it cannot create one, and in a writable folder it
    // would create one as read-only as the file, which would later keep the owner from writing.
    // The cost: changes made meanwhile by someone who can write are not seen before the project
    // is opened again. With a -wal file (a writer has it open, or was killed), read through it.
    const bool immutable = d->readOnly && !QFileInfo::exists(file + QStringLiteral("-wal"));
    if (immutable) {
        QUrl uri = QUrl::fromLocalFile(QFileInfo(file).absoluteFilePath());
        uri.setQuery(QStringLiteral("mode=ro&immutable=1"));
        if (!openAs(uri.toString(QUrl::FullyEncoded), options + QStringLiteral(";QSQLITE_OPEN_URI")))
            return d->fail(error, QStringLiteral("open read-only"), sqlError(d->db.lastError()));
    } else if (!openAs(file, options)) {
        return d->fail(error, QStringLiteral("open"), sqlError(d->db.lastError()));
    }

    int version = 0;
    bool empty = false;
    const StepError r = recogniseProject(d->db, &version, &empty);
    if (r.failed())
        return d->fail(error, r.step, r.detail);
    if (d->readOnly && empty)
        return d->fail(error, QStringLiteral("open"),
                       QStringLiteral("an empty file that cannot be written (%1) holds no project")
                           .arg(d->readOnlyReason));
    if (d->readOnly && version < kSchemaVersion)
        return d->fail(error, QStringLiteral("open"),
                       QStringLiteral("the project has schema version %1 and must be migrated to %2, "
                                      "which a read-only project cannot be (%3); open it once where "
                                      "it can be written")
                           .arg(version)
                           .arg(kSchemaVersion)
                           .arg(d->readOnlyReason));
    if (const StepError s = checkRequiredSchema(d->db); s.failed())
        return d->fail(error, s.step, s.detail);
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

bool ProjectStore::isReadOnly() const
{
    return d->isOpen && d->readOnly;
}

QString ProjectStore::readOnlyReason() const
{
    return isReadOnly() ? d->readOnlyReason : QString();
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
    const QString step = QStringLiteral("write meta '%1'").arg(key);
    if (d->isOpen && key == QLatin1String(kMarkerKey))
        return d->fail(error, QStringLiteral("write meta"),
                       QStringLiteral("the key '%1' is reserved").arg(key));
    return d->write(StoreWriter::Priority::Normal, step, error, [&](QSqlDatabase &w) {
        // An explicit transaction even for one statement: begin() waits for another process's
        // write lock (the writer's connection has no busy handler).
        if (!d->begin(w, step, error))
            return false;
        QSqlQuery q(w);
        q.prepare(QStringLiteral("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
        q.bindValue(0, key);
        q.bindValue(1, value);
        if (!q.exec())
            return d->abortQuery(w, error, step, q);
        return d->commit(w, step, error);
    });
}

bool ProjectStore::importDataset(const Dataset &dataset, QString *error)
{
    return importDataset(dataset, {}, error);
}

bool ProjectStore::importDataset(const Dataset &dataset, const QMap<QString, QString> &meta,
                                 QString *error)
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
    if (meta.contains(QLatin1String(kMarkerKey)))
        return d->fail(error, step, QStringLiteral("the meta key '%1' is reserved").arg(QLatin1String(kMarkerKey)));
    // The metadata written with the samples: the spec (absolute, so that it means the same from
    // any working directory), then META (whose own "data_spec", if any, wins).
    QMap<QString, QString> allMeta;
    if (!dataset.spec.isEmpty())
        allMeta.insert(QStringLiteral("data_spec"), dataset.spec);
    for (auto it = meta.begin(); it != meta.end(); ++it)
        allMeta.insert(it.key(), it.value());
    if (allMeta.contains(QStringLiteral("data_spec")))
        allMeta[QStringLiteral("data_spec")] = canonicalDataSpec(allMeta.value(QStringLiteral("data_spec")));

    return d->write(StoreWriter::Priority::Normal, step, error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, error))
            return false;
        {
            QVariant count;
            QString detail;
            if (!Private::scalar(w, QStringLiteral("SELECT count(*) FROM samples"), &count, &detail))
                return d->abort(w, error, step, detail);
            if (count.toLongLong() > 0)
                return d->abort(w, error, step,
                                QStringLiteral("the project already holds %1 samples").arg(count.toLongLong()));
        }
        {
            QSqlQuery q(w);
            if (!q.exec(QStringLiteral("DELETE FROM classes")))
                return d->abortQuery(w, error, step + QStringLiteral(" (classes)"), q);
            if (!q.prepare(QStringLiteral("INSERT INTO classes(id, name) VALUES (?, ?)")))
                return d->abortQuery(w, error, step + QStringLiteral(" (classes)"), q);
            for (int c = 0; c < k; ++c) {
                q.bindValue(0, c);
                q.bindValue(1, dataset.classes[c]);
                if (!q.exec())
                    return d->abortQuery(w, error, step + QStringLiteral(" (class %1)").arg(c), q);
            }
        }
        {
            // Samples and their import events, kRowsPerStatement rows a statement.
            const QString time = isoTime(QDateTime::currentDateTimeUtc());
            MultiRowInsert qs(w, QStringLiteral("INSERT INTO samples(id, source, path, \"offset\", split, true_label,"
                                                " given_label, label, excluded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)"));
            MultiRowInsert qe(w, QStringLiteral("INSERT INTO label_events(sample_id, time, annotator, old_label, new_label,"
                                                " old_excluded, new_excluded, reason) VALUES (?, ?, '', -1, ?, 0, 0, 'import')"));
            const std::size_t n = dataset.samples.size();
            for (std::size_t first = 0; first < n; first += kRowsPerStatement) {
                const std::size_t rows = std::min(kRowsPerStatement, n - first);
                if (!qs.prepare(rows))
                    return d->abortQuery(w, error, step + QStringLiteral(" (samples)"), qs.query);
                if (!qe.prepare(rows))
                    return d->abortQuery(w, error, step + QStringLiteral(" (events)"), qe.query);
                for (std::size_t r = 0; r < rows; ++r) {
                    const Sample &s = dataset.samples[first + r];
                    const qint64 id = qint64(first + r) + 1;
                    const int b = qs.base(r), e = qe.base(r);
                    qs.query.bindValue(b + 0, id);
                    qs.query.bindValue(b + 1, notNull(s.source));
                    qs.query.bindValue(b + 2, notNull(s.path));
                    qs.query.bindValue(b + 3, s.offset);
                    qs.query.bindValue(b + 4, notNull(s.split));
                    qs.query.bindValue(b + 5, s.trueLabel);
                    qs.query.bindValue(b + 6, s.label);
                    qs.query.bindValue(b + 7, s.label);
                    qe.query.bindValue(e + 0, id);
                    qe.query.bindValue(e + 1, time);
                    qe.query.bindValue(e + 2, s.label);
                }
                const QString which = rows == 1 ? QStringLiteral("sample %1").arg(first)
                                                : QStringLiteral("one of samples %1 … %2").arg(first).arg(first + rows - 1);
                if (!qs.query.exec())
                    return d->abortQuery(w, error, step + QStringLiteral(" (%1)").arg(which), qs.query);
                if (!qe.query.exec())
                    return d->abortQuery(w, error, step + QStringLiteral(" (event of %1)").arg(which), qe.query);
            }
        }
        {
            QSqlQuery q(w);
            q.prepare(QStringLiteral("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
            for (auto it = allMeta.begin(); it != allMeta.end(); ++it) {
                q.bindValue(0, it.key());
                q.bindValue(1, it.value());
                if (!q.exec())
                    return d->abortQuery(w, error, step + QStringLiteral(" (meta %1)").arg(it.key()), q);
            }
        }
        return d->commit(w, step, error, "labels");
    });
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

std::vector<LabelEvent> ProjectStore::events(qint64 sampleId) const
{
    return readEvents(sampleId >= 0 ? QStringLiteral(" WHERE sample_id = ?") : QString(), sampleId);
}

qint64 ProjectStore::lastEventId() const
{
    if (!d->isOpen)
        return 0;
    QVariant v;
    QString detail;
    if (!d->scalar(QStringLiteral("SELECT max(id) FROM label_events"), &v, &detail)) {
        d->fail(nullptr, QStringLiteral("read label events"), detail);
        return 0;
    }
    return v.toLongLong();
}

std::vector<LabelEvent> ProjectStore::eventsAfter(qint64 afterEventId) const
{
    return readEvents(QStringLiteral(" WHERE id > ?"), afterEventId);
}

std::vector<LabelEvent> ProjectStore::readEvents(const QString &where, qint64 bound) const
{
    std::vector<LabelEvent> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    QString sql = QStringLiteral("SELECT id, sample_id, time, annotator, old_label, new_label,"
                                 " old_excluded, new_excluded, reason, batch FROM label_events");
    sql += where;
    sql += QStringLiteral(" ORDER BY id");
    q.prepare(sql);
    if (!where.isEmpty())
        q.bindValue(0, bound);
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
        e.batch = q.value(9).toLongLong();
        out.push_back(std::move(e));
    }
    return out;
}

NewProjectCleanup::NewProjectCleanup(ProjectStore &store, const QString &file)
    : m_store(store), m_file(file)
{
    if (ProjectLocation::isUrl(file)) {
        const Result<bool> exists = ProjectStore::postgresProjectExists(file);
        m_created = exists && !exists.value(); // unknown (server unreachable): never remove anything
    } else {
        m_created = !QFileInfo::exists(file);
    }
}

NewProjectCleanup::~NewProjectCleanup()
{
    if (!m_created || m_store.sampleCount() > 0)
        return;
    m_store.close();
    if (ProjectLocation::isUrl(m_file)) {
        (void)ProjectStore::dropPostgresProject(m_file); // nothing else to do if it fails
        return;
    }
    for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
        QFile::remove(m_file + suffix);
}

} // namespace labelscope
