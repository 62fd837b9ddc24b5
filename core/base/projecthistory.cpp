// ProjectStore: the decision history grouped into batches (the undo history of the review
// window, rebuilt from the append-only log when a project is reopened) and the class list's
// changes (add, rename, merge) recorded in class_events (schema 4).

#include "projectstore.h"
#include "projectstore_p.h"

#include <QSqlQuery>
#include <QVariant>

namespace labelscope {

namespace {

// A class name as stored: trimmed, 1..200 characters, no line breaks or other control characters.
QString checkedClassName(const QString &name, QString *problem)
{
    const QString n = name.trimmed();
    if (n.isEmpty()) {
        *problem = QStringLiteral("a class name cannot be empty");
        return {};
    }
    if (n.size() > 200) {
        *problem = QStringLiteral("a class name has at most 200 characters (\"%1…\" has %2)")
                       .arg(n.left(20))
                       .arg(n.size());
        return {};
    }
    for (const QChar c : n)
        if (c.category() == QChar::Other_Control) {
            *problem = QStringLiteral("the class name \"%1\" holds a control character (a line break or tab)")
                           .arg(n.simplified());
            return {};
        }
    return n;
}

} // namespace

std::vector<DecisionBatch> ProjectStore::decisionBatches() const
{
    std::vector<DecisionBatch> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT id, sample_id, time, annotator, old_label, new_label, old_excluded,"
                               " new_excluded, reason, batch FROM label_events WHERE reason <> 'import'"
                               " ORDER BY id"))) {
        d->failQuery(nullptr, QStringLiteral("read the decision history"), q);
        return out;
    }
    QString lastTime; // the raw text: equal times of one pre-v4 call compare exactly
    while (q.next()) {
        LabelEvent e;
        e.id = q.value(0).toLongLong();
        e.sampleId = q.value(1).toLongLong();
        const QString timeText = q.value(2).toString();
        e.annotator = q.value(3).toString();
        e.oldLabel = q.value(4).toInt();
        e.newLabel = q.value(5).toInt();
        e.oldExcluded = q.value(6).toInt() != 0;
        e.newExcluded = q.value(7).toInt() != 0;
        e.reason = q.value(8).toString();
        e.batch = q.value(9).isNull() ? 0 : q.value(9).toLongLong();
        bool same = false;
        if (!out.empty()) {
            const DecisionBatch &b = out.back();
            if (e.batch > 0)
                same = b.batch == e.batch;
            else // before schema 4: one call wrote its events with one time stamp, one after another
                same = b.events.back().batch == 0 && timeText == lastTime && b.annotator == e.annotator
                    && (b.reason == QLatin1String("undo") || b.reason == QLatin1String("redo")
                            ? e.reason == b.reason
                            : e.reason != QLatin1String("undo") && e.reason != QLatin1String("redo"));
        }
        if (!same) {
            DecisionBatch b;
            b.batch = e.batch > 0 ? e.batch : e.id;
            b.annotator = e.annotator;
            b.reason = e.reason;
            b.time = parseTime(timeText);
            out.push_back(std::move(b));
        }
        e.time = out.back().time;
        lastTime = timeText;
        out.back().events.push_back(std::move(e));
    }
    return out;
}

std::vector<ClassEvent> ProjectStore::classEvents() const
{
    std::vector<ClassEvent> out;
    if (!d->isOpen)
        return out;
    QSqlQuery q(d->db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT id, time, annotator, action, class_id, old_name, new_name, target_id, batch"
                               " FROM class_events ORDER BY id"))) {
        d->failQuery(nullptr, QStringLiteral("read class events"), q);
        return out;
    }
    while (q.next()) {
        ClassEvent e;
        e.id = q.value(0).toLongLong();
        e.time = parseTime(q.value(1));
        e.annotator = q.value(2).toString();
        e.action = q.value(3).toString();
        e.classId = q.value(4).toInt();
        e.oldName = q.value(5).toString();
        e.newName = q.value(6).toString();
        e.targetId = q.value(7).toInt();
        e.batch = q.value(8).isNull() ? 0 : q.value(8).toLongLong();
        out.push_back(std::move(e));
    }
    return out;
}

namespace {

// Inside a write transaction: the class names by id, and whether NAME is taken by a class other
// than EXCEPT (ignoring case).
bool readClassNames(QSqlDatabase &w, QStringList *names, QString *detail)
{
    QSqlQuery q(w);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT name FROM classes ORDER BY id"))) {
        *detail = sqlError(q.lastError());
        return false;
    }
    while (q.next())
        *names << q.value(0).toString();
    return true;
}

int nameTakenBy(const QStringList &names, const QString &name, int except)
{
    for (int k = 0; k < names.size(); ++k)
        if (k != except && names.at(k).compare(name, Qt::CaseInsensitive) == 0)
            return k;
    return -1;
}

bool insertClassEvent(QSqlDatabase &w, const ClassEvent &e, QString *detail)
{
    QSqlQuery q(w);
    q.prepare(QStringLiteral("INSERT INTO class_events(time, annotator, action, class_id, old_name, new_name,"
                             " target_id, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(isoTime(QDateTime::currentDateTimeUtc()));
    q.addBindValue(e.annotator.isNull() ? QString(QLatin1String("")) : e.annotator);
    q.addBindValue(e.action);
    q.addBindValue(e.classId);
    q.addBindValue(e.oldName.isNull() ? QString(QLatin1String("")) : e.oldName);
    q.addBindValue(e.newName.isNull() ? QString(QLatin1String("")) : e.newName);
    q.addBindValue(e.targetId);
    q.addBindValue(e.batch > 0 ? QVariant(e.batch) : QVariant(QMetaType(QMetaType::LongLong)));
    if (!q.exec()) {
        *detail = sqlError(q.lastError());
        return false;
    }
    return true;
}

} // namespace

Result<int> ProjectStore::addClass(const QString &name, const QString &annotator)
{
    const QString step = QStringLiteral("add class");
    QString problem;
    const QString n = checkedClassName(name, &problem);
    if (n.isEmpty()) {
        d->fail(nullptr, step, problem);
        return Result<int>::failure(d->lastError);
    }
    int id = -1;
    QString error;
    const bool ok = d->write(StoreWriter::Priority::Normal, step, &error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, &error))
            return false;
        QStringList names;
        QString detail;
        if (!readClassNames(w, &names, &detail))
            return d->abort(w, &error, step, detail);
        if (const int taken = nameTakenBy(names, n, -1); taken >= 0)
            return d->abort(w, &error, step,
                            QStringLiteral("class %1 is already called \"%2\"").arg(taken).arg(names.at(taken)));
        if (names.size() >= 4096)
            return d->abort(w, &error, step, QStringLiteral("a project holds at most 4,096 classes"));
        id = int(names.size());
        QSqlQuery q(w);
        q.prepare(QStringLiteral("INSERT INTO classes(id, name) VALUES (?, ?)"));
        q.addBindValue(id);
        q.addBindValue(n);
        if (!q.exec())
            return d->abortQuery(w, &error, step, q);
        ClassEvent e;
        e.annotator = annotator;
        e.action = QStringLiteral("add");
        e.classId = id;
        e.newName = n;
        if (!insertClassEvent(w, e, &detail))
            return d->abort(w, &error, step, detail);
        return d->commit(w, step, &error, "classes");
    });
    if (!ok)
        return Result<int>::failure(error);
    return id;
}

Result<> ProjectStore::renameClass(int classId, const QString &name, const QString &annotator)
{
    const QString step = QStringLiteral("rename class %1").arg(classId);
    QString problem;
    const QString n = checkedClassName(name, &problem);
    if (n.isEmpty()) {
        d->fail(nullptr, step, problem);
        return Result<>::failure(d->lastError);
    }
    QString error;
    const bool ok = d->write(StoreWriter::Priority::Normal, step, &error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, &error))
            return false;
        QStringList names;
        QString detail;
        if (!readClassNames(w, &names, &detail))
            return d->abort(w, &error, step, detail);
        if (classId < 0 || classId >= names.size())
            return d->abort(w, &error, step, QStringLiteral("no class %1 (the project has %2)").arg(classId).arg(names.size()));
        if (const int taken = nameTakenBy(names, n, classId); taken >= 0)
            return d->abort(w, &error, step,
                            QStringLiteral("class %1 is already called \"%2\"").arg(taken).arg(names.at(taken)));
        if (names.at(classId) == n)
            return d->abort(w, &error, step, QStringLiteral("the class is already called \"%1\"").arg(n));
        QSqlQuery q(w);
        q.prepare(QStringLiteral("UPDATE classes SET name = ? WHERE id = ?"));
        q.addBindValue(n);
        q.addBindValue(classId);
        if (!q.exec())
            return d->abortQuery(w, &error, step, q);
        ClassEvent e;
        e.annotator = annotator;
        e.action = QStringLiteral("rename");
        e.classId = classId;
        e.oldName = names.at(classId);
        e.newName = n;
        if (!insertClassEvent(w, e, &detail))
            return d->abort(w, &error, step, detail);
        return d->commit(w, step, &error, "classes");
    });
    if (!ok)
        return Result<>::failure(error);
    return {};
}

Result<qint64> ProjectStore::mergeClass(int from, int into, const QString &annotator)
{
    const QString step = QStringLiteral("merge class %1 into %2").arg(from).arg(into);
    qint64 batch = 0;
    QString error;
    const bool ok = d->write(StoreWriter::Priority::Decision, step, &error, [&](QSqlDatabase &w) {
        if (!d->begin(w, step, &error))
            return false;
        QStringList names;
        QString detail;
        if (!readClassNames(w, &names, &detail))
            return d->abort(w, &error, step, detail);
        if (from < 0 || from >= names.size() || into < 0 || into >= names.size())
            return d->abort(w, &error, step, QStringLiteral("no such class (the project has %1)").arg(names.size()));
        if (from == into)
            return d->abort(w, &error, step, QStringLiteral("a class cannot be merged into itself"));
        QVariant v;
        if (!Private::scalar(w, QStringLiteral("SELECT COALESCE(MAX(id), 0) + 1 FROM label_events"), &v, &detail))
            return d->abort(w, &error, step, detail);
        const qint64 first = v.toLongLong();
        // One INSERT … SELECT for the events, then one UPDATE: a class of 6,000 samples moves in
        // two statements.
        QSqlQuery q(w);
        q.prepare(QStringLiteral("INSERT INTO label_events(sample_id, time, annotator, old_label, new_label,"
                                 " old_excluded, new_excluded, reason, batch)"
                                 " SELECT id, ?, ?, label, ?, excluded, excluded, 'relabel', ? FROM samples"
                                 " WHERE label = ? ORDER BY id"));
        q.addBindValue(isoTime(QDateTime::currentDateTimeUtc()));
        q.addBindValue(annotator.isNull() ? QString(QLatin1String("")) : annotator);
        q.addBindValue(into);
        q.addBindValue(first);
        q.addBindValue(from);
        if (!q.exec())
            return d->abortQuery(w, &error, step, q);
        const int moved = q.numRowsAffected();
        batch = moved > 0 ? first : 0;
        QSqlQuery upd(w);
        upd.prepare(QStringLiteral("UPDATE samples SET label = ? WHERE label = ?"));
        upd.addBindValue(into);
        upd.addBindValue(from);
        if (!upd.exec())
            return d->abortQuery(w, &error, step, upd);
        ClassEvent e;
        e.annotator = annotator;
        e.action = QStringLiteral("merge");
        e.classId = from;
        e.oldName = names.at(from);
        e.newName = names.at(into);
        e.targetId = into;
        e.batch = batch;
        if (!insertClassEvent(w, e, &detail))
            return d->abort(w, &error, step, detail);
        return d->commit(w, step, &error, "classes");
    });
    if (!ok)
        return Result<qint64>::failure(error);
    return batch;
}

} // namespace labelscope
