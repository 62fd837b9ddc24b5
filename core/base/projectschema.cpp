#include "projectschema.h"

#include "projectstore.h"
#include "sqldialect.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QVariant>

#include <map>
#include <utility>

namespace labelscope {

int sqliteCode(const QSqlError &e)
{
    if (!sqlState(e).isEmpty())
        return -1; // PostgreSQL's SQLSTATE, not an SQLite code
    bool ok = false;
    const int code = e.nativeErrorCode().toInt(&ok);
    // Extended result codes carry the primary code in their low byte.
    return ok && code > 0 ? (code & 0xff) : -1;
}

QString sqliteCodeMeaning(int code)
{
    switch (code) {
    case kSqliteBusy:
        return QStringLiteral("busy: another program holds the project's write lock");
    case 6: // SQLITE_LOCKED
        return QStringLiteral("locked by another connection of this program");
    case 3: // SQLITE_PERM
    case 23: // SQLITE_AUTH
        return QStringLiteral("permission denied");
    case 7: // SQLITE_NOMEM
        return QStringLiteral("out of memory");
    case kSqliteReadOnly:
        return QStringLiteral("read-only: the file or its folder cannot be written");
    case kSqliteIoErr:
        return QStringLiteral("input/output error (a full disk, a file size limit or a failing disk)");
    case kSqliteCorrupt:
        return QStringLiteral("the project file is corrupt");
    case kSqliteFull:
        return QStringLiteral("disk full");
    case kSqliteCantOpen:
        return QStringLiteral("cannot open the file (a missing folder, no permission, or too many "
                              "open files)");
    case 15: // SQLITE_PROTOCOL
        return QStringLiteral("file locking failed");
    case kSqliteNotADb:
        return QStringLiteral("not an SQLite database");
    default:
        return QString();
    }
}

QString sqlError(const QSqlError &e)
{
    QString s = e.text().trimmed();
    if (s.isEmpty())
        s = QStringLiteral("unknown SQL error");
    const QString state = sqlState(e);
    const QString meaning = state.isEmpty() ? sqliteCodeMeaning(sqliteCode(e)) : postgresStateMeaning(state);
    if (meaning.isEmpty() && state.isEmpty() && e.driverText().contains(QLatin1String("Unable to connect")))
        return QStringLiteral("%1 (%2)").arg(postgresConnectFailureMeaning(s), s.simplified());
    return meaning.isEmpty() ? s : QStringLiteral("%1 (%2)").arg(meaning, s.simplified());
}

namespace {

bool execAll(QSqlDatabase &db, const QStringList &statements, QString *detail)
{
    QSqlQuery q(db);
    for (const QString &statement : statements) {
        for (const QString &s : dialectStatements(db, statement)) {
            if (!q.exec(s)) {
                *detail = sqlError(q.lastError());
                return false;
            }
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

// Version 1 → 2: Confident Learning on out-of-sample pred_probs (issue 3), 2-D layouts
// (t-SNE, issue 5) and active-learning rounds (issue 4).
bool migrate1to2(QSqlDatabase &db, QString *detail)
{
    const QStringList statements = {
        // Per-sample verdict inputs: the Data Parameters score, the out-of-sample score and
        // whether find_label_issues flagged the sample; the suggested label.
        QStringLiteral("ALTER TABLE scores ADD COLUMN dp_score REAL"),
        QStringLiteral("ALTER TABLE scores ADD COLUMN cl_score REAL"),
        QStringLiteral("ALTER TABLE scores ADD COLUMN cl_issue INTEGER NOT NULL DEFAULT 0"),
        QStringLiteral("ALTER TABLE scores ADD COLUMN suggested_label INTEGER NOT NULL DEFAULT -1"),
        QStringLiteral("ALTER TABLE scores ADD COLUMN suggested_prob REAL NOT NULL DEFAULT 0"),
        // Out-of-sample pred_probs of K-fold cross-validation: fold = the fold whose model
        // predicted the sample (that model never trained on it).
        QStringLiteral(
            "CREATE TABLE pred_probs ("
            " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
            " sample_id INTEGER NOT NULL REFERENCES samples(id),"
            " fold INTEGER NOT NULL,"
            " probs BLOB NOT NULL,"  // float32 LE [K]
            " PRIMARY KEY (run_id, sample_id))"),
        // 2-D layouts of a run (kind: "embedding", "trajectory", ...), one row per kind.
        QStringLiteral(
            "CREATE TABLE layouts ("
            " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
            " kind TEXT NOT NULL,"
            " sample_ids BLOB NOT NULL,"  // int64 LE [N]
            " xy BLOB NOT NULL,"          // float32 LE [N, 2]
            " settings TEXT NOT NULL DEFAULT '{}',"
            " PRIMARY KEY (run_id, kind))"),
        // Active learning: rounds and the queued batch of each.
        QStringLiteral(
            "CREATE TABLE al_rounds ("
            " id INTEGER PRIMARY KEY,"
            " started TEXT,"
            " finished TEXT,"
            " strategy TEXT NOT NULL DEFAULT '',"
            " diversity TEXT NOT NULL DEFAULT '',"
            " batch_size INTEGER NOT NULL DEFAULT 0,"
            " labelled INTEGER NOT NULL DEFAULT 0,"
            " val_accuracy REAL,"
            " settings TEXT NOT NULL DEFAULT '{}')"),
        QStringLiteral(
            "CREATE TABLE al_queue ("
            " round_id INTEGER NOT NULL REFERENCES al_rounds(id) ON DELETE CASCADE,"
            " sample_id INTEGER NOT NULL REFERENCES samples(id),"
            " position INTEGER NOT NULL,"
            " score REAL NOT NULL DEFAULT 0,"
            " PRIMARY KEY (round_id, sample_id))"),
    };
    return execAll(db, statements, detail);
}

// Version 2 → 3: the uncertainty of every pool sample an active-learning round scored (issue 4:
// the gallery's "pool by uncertainty"), one row per round.
bool migrate2to3(QSqlDatabase &db, QString *detail)
{
    const QStringList statements = {
        QStringLiteral(
            "CREATE TABLE al_scores ("
            " round_id INTEGER PRIMARY KEY REFERENCES al_rounds(id) ON DELETE CASCADE,"
            " sample_ids BLOB NOT NULL,"  // int64 LE [M]
            " scores BLOB NOT NULL)"),    // float32 LE [M]
    };
    return execAll(db, statements, detail);
}

// Version 3 → 4 (issue 17, review sessions): label_events.batch groups the events of one
// applyDecisions call (the id of its first event; NULL for events written before version 4),
// so that the undo history can be rebuilt from the log when a project is reopened; class_events
// records adding, renaming and merging classes (append-only, like label_events). A merge moves
// the samples through label_events (reason "relabel", batch = class_events.batch).
bool migrate3to4(QSqlDatabase &db, QString *detail)
{
    const QStringList statements = {
        QStringLiteral("ALTER TABLE label_events ADD COLUMN batch INTEGER"),
        QStringLiteral(
            "CREATE TABLE class_events ("
            " id INTEGER PRIMARY KEY,"
            " time TEXT NOT NULL,"
            " annotator TEXT NOT NULL DEFAULT '',"
            " action TEXT NOT NULL CHECK (action IN ('add', 'rename', 'merge')),"
            " class_id INTEGER NOT NULL,"
            " old_name TEXT NOT NULL DEFAULT '',"
            " new_name TEXT NOT NULL DEFAULT '',"
            " target_id INTEGER NOT NULL DEFAULT -1,"
            " batch INTEGER)"),
        QStringLiteral("CREATE TRIGGER class_events_no_update BEFORE UPDATE ON class_events"
                       " BEGIN SELECT RAISE(ABORT, 'class_events is append-only'); END"),
        QStringLiteral("CREATE TRIGGER class_events_no_delete BEFORE DELETE ON class_events"
                       " BEGIN SELECT RAISE(ABORT, 'class_events is append-only'); END"),
    };
    return execAll(db, statements, detail);
}

// Version 4 → 5: dataset health (issue 16): one row per check (`labelscope check`: run_id NULL; an analysis'
// checks: its run, deleted with it), one row per issue type with per-sample arrays, one row per
// duplicate set (core/base/projecthealth.cpp).
bool migrate4to5(QSqlDatabase &db, QString *detail)
{
    const QStringList statements = {
        QStringLiteral(
            "CREATE TABLE health_checks ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,"
            " created TEXT NOT NULL,"
            " summary TEXT NOT NULL)"),
        QStringLiteral(
            "CREATE TABLE health_issues ("
            " check_id INTEGER NOT NULL REFERENCES health_checks(id) ON DELETE CASCADE,"
            " type TEXT NOT NULL,"
            " threshold REAL NOT NULL,"
            " sample_ids BLOB NOT NULL," // int64 LE [M]
            " scores BLOB NOT NULL,"     // float32 LE [M]
            " flags BLOB NOT NULL,"      // uint8 [M]
            " PRIMARY KEY (check_id, type))"),
        QStringLiteral(
            "CREATE TABLE health_sets ("
            " check_id INTEGER NOT NULL REFERENCES health_checks(id) ON DELETE CASCADE,"
            " kind TEXT NOT NULL,"       // "exact" or "near"
            " position INTEGER NOT NULL,"
            " sample_ids BLOB NOT NULL," // int64 LE
            " leaks INTEGER NOT NULL,"
            " PRIMARY KEY (check_id, kind, position))"),
        QStringLiteral("CREATE INDEX health_checks_run ON health_checks(run_id)"),
    };
    return execAll(db, statements, detail);
}

// Version 5 → 6 (issue 18, teams): an annotator's claim on a sample, so that two annotators never
// review the same flagged sample at once; a claim expires (ISO UTC times, like every time of the
// schema) and is then free for anyone.
bool migrate5to6(QSqlDatabase &db, QString *detail)
{
    const QStringList statements = {
        QStringLiteral(
            "CREATE TABLE claims ("
            " sample_id INTEGER PRIMARY KEY REFERENCES samples(id),"
            " annotator TEXT NOT NULL,"
            " claimed TEXT NOT NULL,"
            " expires TEXT NOT NULL)"),
        QStringLiteral("CREATE INDEX claims_annotator ON claims(annotator)"),
    };
    return execAll(db, statements, detail);
}

} // namespace

// migrations()[n] takes a project from schema version n to n + 1. Append, never edit.
const std::vector<Migration> &migrations()
{
    static const std::vector<Migration> table = {migrate0to1, migrate1to2, migrate2to3, migrate3to4, migrate4to5,
                                                   migrate5to6};
    return table;
}

QString migrationTableProblem()
{
    if (migrations().size() == std::size_t(ProjectStore::kSchemaVersion))
        return QString();
    return QStringLiteral("internal error: %1 migrations for schema version %2")
        .arg(migrations().size())
        .arg(ProjectStore::kSchemaVersion);
}

// The tables and columns of the current schema (kSchemaVersion), parents before the tables that
// reference them. Extend it with every migration.
const std::vector<std::pair<const char *, QStringList>> &requiredSchema()
{
    static const std::vector<std::pair<const char *, QStringList>> tables = {
        {"meta", {QStringLiteral("key"), QStringLiteral("value")}},
        {"classes", {QStringLiteral("id"), QStringLiteral("name")}},
        {"samples",
         {QStringLiteral("id"), QStringLiteral("source"), QStringLiteral("path"), QStringLiteral("offset"),
          QStringLiteral("split"), QStringLiteral("true_label"), QStringLiteral("given_label"),
          QStringLiteral("label"), QStringLiteral("excluded")}},
        {"label_events",
         {QStringLiteral("id"), QStringLiteral("sample_id"), QStringLiteral("time"), QStringLiteral("annotator"),
          QStringLiteral("old_label"), QStringLiteral("new_label"), QStringLiteral("old_excluded"),
          QStringLiteral("new_excluded"), QStringLiteral("reason"), QStringLiteral("batch")}},
        {"class_events",
         {QStringLiteral("id"), QStringLiteral("time"), QStringLiteral("annotator"), QStringLiteral("action"),
          QStringLiteral("class_id"), QStringLiteral("old_name"), QStringLiteral("new_name"),
          QStringLiteral("target_id"), QStringLiteral("batch")}},
        {"runs",
         {QStringLiteral("id"), QStringLiteral("started"), QStringLiteral("finished"), QStringLiteral("status"),
          QStringLiteral("settings"), QStringLiteral("summary")}},
        {"scores",
         {QStringLiteral("run_id"), QStringLiteral("sample_id"), QStringLiteral("noise_score"),
          QStringLiteral("category"), QStringLiteral("sigma"), QStringLiteral("mean_prob"),
          QStringLiteral("std_prob"), QStringLiteral("mean_margin"), QStringLiteral("pred_label"),
          QStringLiteral("pred_prob"), QStringLiteral("dp_score"), QStringLiteral("cl_score"),
          QStringLiteral("cl_issue"), QStringLiteral("suggested_label"), QStringLiteral("suggested_prob")}},
        {"dynamics",
         {QStringLiteral("run_id"), QStringLiteral("sample_id"), QStringLiteral("epochs"), QStringLiteral("sigma"),
          QStringLiteral("prob_given"), QStringLiteral("margin"), QStringLiteral("predicted")}},
        {"embeddings", {QStringLiteral("run_id"), QStringLiteral("sample_id"), QStringLiteral("vec")}},
        {"pred_probs",
         {QStringLiteral("run_id"), QStringLiteral("sample_id"), QStringLiteral("fold"), QStringLiteral("probs")}},
        {"layouts",
         {QStringLiteral("run_id"), QStringLiteral("kind"), QStringLiteral("sample_ids"), QStringLiteral("xy"),
          QStringLiteral("settings")}},
        {"al_rounds",
         {QStringLiteral("id"), QStringLiteral("started"), QStringLiteral("finished"), QStringLiteral("strategy"),
          QStringLiteral("diversity"), QStringLiteral("batch_size"), QStringLiteral("labelled"),
          QStringLiteral("val_accuracy"), QStringLiteral("settings")}},
        {"al_queue",
         {QStringLiteral("round_id"), QStringLiteral("sample_id"), QStringLiteral("position"), QStringLiteral("score")}},
        {"al_scores", {QStringLiteral("round_id"), QStringLiteral("sample_ids"), QStringLiteral("scores")}},
        {"health_checks", {QStringLiteral("id"), QStringLiteral("run_id"), QStringLiteral("created"), QStringLiteral("summary")}},
        {"health_issues",
         {QStringLiteral("check_id"), QStringLiteral("type"), QStringLiteral("threshold"), QStringLiteral("sample_ids"),
          QStringLiteral("scores"), QStringLiteral("flags")}},
        {"health_sets",
         {QStringLiteral("check_id"), QStringLiteral("kind"), QStringLiteral("position"), QStringLiteral("sample_ids"),
          QStringLiteral("leaks")}},
        {"claims", {QStringLiteral("sample_id"), QStringLiteral("annotator"), QStringLiteral("claimed"), QStringLiteral("expires")}},
    };
    return tables;
}

namespace {

bool scalarValue(QSqlDatabase &db, const QString &sql, QVariant *out, QSqlError *error)
{
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.exec(sql)) {
        *error = q.lastError();
        return false;
    }
    *out = q.next() ? q.value(0) : QVariant();
    return true;
}

StepError stepError(const QString &step, const QSqlError &e)
{
    return {step, sqlError(e), sqliteCode(e)};
}

} // namespace

StepError recogniseProject(QSqlDatabase &db, int *fileVersion, bool *empty)
{
    *fileVersion = 0;
    *empty = false;
    qint64 objects = 0;
    QSqlError e;
    // The first read of the file: SQLite itself tells a file that is not a database
    // (SQLITE_NOTADB). Nothing outside SQLite opens the file (closing any other descriptor of it
    // would drop this process's SQLite locks on it).
    if (!countTables(db, &objects, &e)) {
        if (sqliteCode(e) == kSqliteNotADb)
            return {QStringLiteral("open"),
                    QStringLiteral("not a Labelscope project (not an SQLite database)"), kSqliteNotADb};
        return stepError(QStringLiteral("read schema"), e);
    }
    if (!readSchemaVersion(db, fileVersion, &e))
        return stepError(QStringLiteral("read schema version"), e);
    *empty = objects == 0 && *fileVersion == 0;
    if (*empty)
        return {};
    bool hasMeta = false;
    QVariant marker;
    if (!hasTable(db, QStringLiteral("meta"), &hasMeta, &e))
        return stepError(QStringLiteral("read schema"), e);
    if (hasMeta
        && !scalarValue(db, QStringLiteral("SELECT value FROM meta WHERE key = '%1'").arg(QLatin1String(kMarkerKey)),
                        &marker, &e))
        return stepError(QStringLiteral("read meta"), e);
    if (marker.toString() != QLatin1String(kMarkerValue))
        return {QStringLiteral("open"),
                dialectOf(db) == SqlDialect::SQLite
                    ? QStringLiteral("not a Labelscope project (an SQLite database without the Labelscope marker)")
                    : QStringLiteral("not a Labelscope project (a schema of tables without the Labelscope marker)")};
    if (*fileVersion > ProjectStore::kSchemaVersion)
        return {QStringLiteral("open"), schemaTooNewMessage(*fileVersion)};
    if (*fileVersion < 1)
        return {QStringLiteral("open"), QStringLiteral("invalid project schema version %1").arg(*fileVersion)};
    return {};
}

StepError checkRequiredSchema(QSqlDatabase &db)
{
    const QString step = QStringLiteral("check schema");
    QSqlQuery q(db);
    q.setForwardOnly(true);
    // One query over every table's columns.
    if (!q.exec(tableColumnsSql(db)))
        return stepError(step, q.lastError());
    std::map<QString, QStringList> present;
    while (q.next())
        present[q.value(0).toString()] << q.value(1).toString();
    for (const auto &[table, columns] : requiredSchema()) {
        const auto it = present.find(QLatin1String(table));
        if (it == present.end())
            return {step, QStringLiteral("the project has no table '%1' (the file is damaged or was "
                                         "changed by another program)")
                              .arg(QLatin1String(table))};
        for (const QString &c : columns)
            if (!it->second.contains(c))
                return {step, QStringLiteral("table '%1' has no column '%2' (the file is damaged or was "
                                             "changed by another program)")
                                  .arg(QLatin1String(table), c)};
    }
    return {};
}

QString schemaTooNewMessage(int fileVersion)
{
    return QStringLiteral("project schema version %1 is newer than this Labelscope "
                          "supports (%2); update Labelscope")
        .arg(fileVersion)
        .arg(ProjectStore::kSchemaVersion);
}

} // namespace labelscope
