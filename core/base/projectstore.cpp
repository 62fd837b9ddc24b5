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
#include <QVariant>

namespace labelscope {

namespace {

QAtomicInteger<quint64> g_connectionCounter;

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
                          schemaTooNewMessage(fileVersion));
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
                          schemaTooNewMessage(fileVersion));
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

} // namespace labelscope
