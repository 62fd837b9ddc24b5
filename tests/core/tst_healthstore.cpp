// Dataset health in the project (issue 16): the health tables (schema v5) round-trip through
// ProjectStore::saveHealth / latestHealth; a project of schema v3 (before class events and
// health) migrates through v4 (class events) to v5 with its samples and runs intact; runProjectHealthChecks
// imports a CSV manifest into a new project, stores the checks, reads them back as the same
// report, refuses another data spec, and adds the outlier score from an analysis run's
// embeddings (only the embedded samples are scored). Every test runs on both backends (issue 18;
// rows "sqlite" and "postgresql", tests/backendfixture.h: the PostgreSQL row needs the CTest
// fixture's throwaway cluster and skips without it).

#include "backendfixture.h"
#include "healthtestutil.h"

#include "base/projectschema.h"
#include "base/projectstore.h"
#include "health/healthproject.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace labelscope;
using namespace healthtest;
using namespace labelscope::testing;

class TestHealthStore final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_csv;
    int m_n = 0;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    static qint64 rowOf(const ProjectHealthResult &r, const QString &file)
    {
        for (std::size_t i = 0; i < r.samples.size(); ++i)
            if (r.samples[i].path.endsWith(QLatin1Char('/') + file))
                return qint64(i);
        return -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        std::vector<int> labels;
        const std::vector<cv::Mat> fashion = fashionImages(60, &labels);
        if (fashion.size() < 60)
            QSKIP("Fashion-MNIST is not installed (/usr/share/datasets/fashion-mnist)");
        QVERIFY(m_dir.isValid());
        const QStringList classes = fashionMnistClasses();
        QString csv = QStringLiteral("path,label,split\n");
        auto write = [&](const QString &name, const cv::Mat &m, int label, const char *split) {
            QVERIFY(cv::imwrite(path(name).toStdString(), m));
            csv += QStringLiteral("%1,%2,%3\n").arg(name, classes[label], QLatin1String(split));
            ++m_n;
        };
        for (int i = 0; i < 60; ++i)
            write(QStringLiteral("g%1.png").arg(i), fashion[std::size_t(i)], labels[std::size_t(i)], i < 50 ? "train" : "test");
        write(QStringLiteral("leak.png"), fashion[0], labels[0], "test");
        write(QStringLiteral("copy.jpg"), jpegCopy(fashion[1], 75), labels[1], "train");
        write(QStringLiteral("black.png"), cv::Mat(28, 28, CV_8U, cv::Scalar(0)), 0, "train");
        // A row whose file is not an image: not imported, and said so by the check.
        QFile broken(path(QStringLiteral("broken.png")));
        QVERIFY(broken.open(QIODevice::WriteOnly) && broken.write("not a picture\n") > 0);
        csv += QStringLiteral("broken.png,%1,train\n").arg(classes[0]);
        m_csv = path(QStringLiteral("data.csv"));
        QFile manifest(m_csv);
        QVERIFY(manifest.open(QIODevice::WriteOnly) && manifest.write(csv.toUtf8()) > 0);
    }

    void roundTrip_data() { addBackendRows(); }
    void roundTrip()
    {
        BACKEND_LOCATION(where, m_dir, QStringLiteral("roundtrip"));
        ProjectStore store;
        QString error;
        QVERIFY2(store.open(where, &error), qPrintable(error));
        QVERIFY(!store.latestHealth());
        HealthRecord r;
        r.summary = QJsonObject{{QStringLiteral("samples"), 3}};
        r.columns.push_back({QStringLiteral("dark"), 0.37, {1, 2, 3}, {1.0f, 0.25f, 0.5f}, {0, 1, 0}});
        r.sets.push_back({QStringLiteral("near"), {3, 1}, true});
        const qint64 id = store.saveHealth(r, &error);
        QVERIFY2(id > 0, qPrintable(error));
        const std::optional<HealthRecord> back = store.latestHealth();
        QVERIFY2(back.has_value(), qPrintable(store.lastError()));
        QCOMPARE(back->id, id);
        QCOMPARE(back->runId, qint64(0));
        QCOMPARE(back->summary.value(QStringLiteral("samples")).toInt(), 3);
        QCOMPARE(int(back->columns.size()), 1);
        QCOMPARE(back->columns[0].type, QStringLiteral("dark"));
        QCOMPARE(back->columns[0].threshold, 0.37);
        QCOMPARE(back->columns[0].sampleIds, (std::vector<qint64>{1, 2, 3}));
        QCOMPARE(back->columns[0].score, (std::vector<float>{1.0f, 0.25f, 0.5f}));
        QCOMPARE(back->columns[0].flag, (std::vector<std::uint8_t>{0, 1, 0}));
        QCOMPARE(int(back->sets.size()), 1);
        QCOMPARE(back->sets[0].sampleIds, (std::vector<qint64>{3, 1}));
        QVERIFY(back->sets[0].leaks);

        // Refused as a whole: arrays of different lengths, a run that does not exist.
        HealthRecord bad = r;
        bad.columns[0].flag.pop_back();
        QCOMPARE(store.saveHealth(bad, &error), qint64(0));
        QVERIFY2(error.contains(QLatin1String("dark")), qPrintable(error));
        bad = r;
        bad.runId = 99;
        QCOMPARE(store.saveHealth(bad, &error), qint64(0));
        QVERIFY2(error.contains(QLatin1String("no run 99")), qPrintable(error));
        QCOMPARE(store.latestHealth(false)->id, id);
    }

    void version3Migrates_data() { addBackendRows(); }
    void version3Migrates()
    {
        QVERIFY(ProjectStore::kSchemaVersion > 3);
        BACKEND_LOCATION(file, m_dir, QStringLiteral("v3"));
        {
            // A v3 project as the first three migrations made it, with a sample and a run (on
            // PostgreSQL in a new schema, as the store makes it before migrating).
            RawProject raw(file);
            QVERIFY(raw.ok);
            if (!sqliteRow())
                QVERIFY(raw.exec(QStringLiteral("CREATE SCHEMA %1").arg(ProjectLocation::parse(file)->quotedSchema())));
            QSqlDatabase db = raw.db();
            QString detail;
            QVERIFY(db.transaction());
            for (int v = 0; v < 3; ++v)
                QVERIFY2(migrations()[std::size_t(v)](db, &detail), qPrintable(detail));
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("INSERT INTO meta(key, value) VALUES ('%1', '%2')"
                                          " ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                               .arg(QLatin1String(kMarkerKey), QLatin1String(kMarkerValue))));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO classes(id, name) VALUES (0, 'a'), (1, 'b')")));
            // "offset" quoted: a reserved word in PostgreSQL.
            QVERIFY2(q.exec(QStringLiteral("INSERT INTO samples(source, path, \"offset\", split, true_label, given_label, label, excluded) "
                                           "VALUES ('folder', '/x/a.png', -1, 'train', -1, 1, 1, 0)")),
                     qPrintable(q.lastError().text()));
            QVERIFY2(q.exec(QStringLiteral("INSERT INTO runs(started, finished, status, settings, summary) "
                                           "VALUES ('2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z', 'done', '{}', '{}')")),
                     qPrintable(q.lastError().text()));
            QVERIFY(setRawSchemaVersion(raw, 3));
            QVERIFY(db.commit());
            QVERIFY(!q.exec(QStringLiteral("SELECT 1 FROM health_checks")));
        }

        ProjectStore store;
        QString error;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        QCOMPARE(store.sampleCount(), qint64(1));
        QCOMPARE(store.classes(), (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
        const std::optional<RunInfo> run = store.latestRun();
        QVERIFY(run.has_value());
        QVERIFY(!store.latestHealth());
        HealthRecord r;
        r.runId = run->id;
        r.columns.push_back({QStringLiteral("outlier"), 0.2, {1}, {0.1f}, {1}});
        QVERIFY2(store.saveHealth(r, &error) > 0, qPrintable(error));
        QCOMPARE(store.latestHealth()->runId, run->id);
        QCOMPARE(store.latestHealth()->columns[0].flag, (std::vector<std::uint8_t>{1}));
        store.close();
        RawProject raw(file);
        QVERIFY(raw.ok);
        QCOMPARE(rawSchemaVersion(raw), ProjectStore::kSchemaVersion);
        QSqlQuery q(raw.db());
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM class_events")) && q.next()); // v4 ran on the way
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM health_sets")) && q.next());
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM claims")) && q.next()); // v6 (issue 18)
    }

    void checksStoredAndReadBack_data() { addBackendRows(); }
    void checksStoredAndReadBack()
    {
        BACKEND_LOCATION(project, m_dir, QStringLiteral("checked"));
        ProjectHealthParams params;
        params.projectFile = project;
        params.dataSpec = m_csv;
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("check"), &cancel);
        const Result<ProjectHealthResult> r = runProjectHealthChecks(params, context);
        QVERIFY2(r.ok(), qPrintable(r.error()));
        QCOMPARE(int(r->samples.size()), m_n);
        QVERIFY(r->checkId > 0);
        QCOMPARE(r->embeddingRunId, qint64(0));
        QCOMPARE(r->importSkipped.size(), std::size_t(1));
        QVERIFY2(r->importSkipped[0].file.endsWith(QLatin1String("broken.png")) && r->importSkipped[0].location == QStringLiteral("line %1").arg(m_n + 2) // after the header and m_n rows
                     && r->importSkipped[0].reason.contains(QLatin1String("not an image")),
                 qPrintable(r->importSkipped[0].file + QLatin1Char(' ') + r->importSkipped[0].location + QLatin1Char(' ') + r->importSkipped[0].reason));
        const HealthReport &report = r->report;
        QVERIFY(!report.column(IssueType::Outlier).computed); // no analysis yet
        const qint64 g0 = rowOf(r.value(), QStringLiteral("g0.png")), leak = rowOf(r.value(), QStringLiteral("leak.png"));
        const qint64 black = rowOf(r.value(), QStringLiteral("black.png"));
        QCOMPARE(int(report.exactSets.size()), 1);
        QCOMPARE(report.exactSets[0].members, (std::vector<int>{int(g0), int(leak)}));
        QVERIFY(report.column(IssueType::Dark).flag[std::size_t(black)]);

        ProjectStore store;
        QString error;
        QVERIFY2(store.open(project, &error), qPrintable(error));
        QCOMPARE(store.sampleCount(), qint64(m_n));
        const std::optional<HealthRecord> record = store.latestHealth();
        QVERIFY2(record.has_value(), qPrintable(store.lastError()));
        QCOMPARE(record->id, r->checkId);
        QVERIFY(record->summary.contains(QStringLiteral("issues")));
        std::vector<int> labels;
        for (const Sample &s : r->samples)
            labels.push_back(s.label);
        const HealthReport back = healthReportFromRecord(*record, r->sampleIds, labels);
        for (int t = 0; t < kIssueTypeCount; ++t) {
            const IssueType type = IssueType(t);
            if (type == IssueType::ClassImbalance)
                continue; // stored per sample, held per class in the report
            QCOMPARE(back.column(type).computed, report.column(type).computed);
            if (report.column(type).computed) {
                QCOMPARE(back.column(type).flag, report.column(type).flag);
                QCOMPARE(back.column(type).score, report.column(type).score);
            }
        }
        QCOMPARE(back.exactSets.size(), report.exactSets.size());
        QCOMPARE(back.exactSets[0].members, report.exactSets[0].members);
        QVERIFY(back.exactSets[0].leaks);
        QCOMPARE(back.nearSets.size(), report.nearSets.size());
        store.close();

        // Again without --data: the project's own samples; another spec is refused.
        params.dataSpec.clear();
        const Result<ProjectHealthResult> again = runProjectHealthChecks(params, context);
        QVERIFY2(again.ok(), qPrintable(again.error()));
        QVERIFY(again->checkId > r->checkId);
        QVERIFY(again->importSkipped.empty()); // nothing imported this time
        params.dataSpec = QStringLiteral("fashion-mnist");
        const Result<ProjectHealthResult> other = runProjectHealthChecks(params, context);
        QVERIFY(!other.ok());
        QVERIFY2(other.error().contains(QLatin1String("use a new --project file")), qPrintable(other.error()));

        // An empty new project without data is refused and leaves no file (no schema).
        BACKEND_LOCATION(empty, m_dir, QStringLiteral("empty"));
        params.projectFile = empty;
        params.dataSpec.clear();
        QVERIFY(!runProjectHealthChecks(params, context).ok());
        if (sqliteRow()) {
            QVERIFY(!QFile::exists(params.projectFile));
        } else {
            const Result<bool> exists = ProjectStore::postgresProjectExists(empty);
            QVERIFY2(exists, qPrintable(exists.error()));
            QVERIFY(!exists.value());
        }
    }

    void outliersFromRunEmbeddings_data() { addBackendRows(); }
    void outliersFromRunEmbeddings()
    {
        BACKEND_LOCATION(project, m_dir, QStringLiteral("embedded"));
        ProjectHealthParams params;
        params.projectFile = project;
        params.dataSpec = m_csv;
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("check"), &cancel);
        QVERIFY(runProjectHealthChecks(params, context).ok());

        // A run whose embeddings cover the training samples: a tight cloud and, for black.png,
        // a point far away.
        ProjectStore store;
        QString error;
        QVERIFY2(store.open(project, &error), qPrintable(error));
        RunRecord run;
        run.started = run.finished = QDateTime::currentDateTimeUtc();
        run.embeddingDim = 4;
        qint64 blackId = 0;
        for (const SampleRow &row : store.samples()) {
            if (row.sample.split == QLatin1String("test"))
                continue;
            const bool far = row.sample.path.endsWith(QLatin1String("/black.png"));
            if (far)
                blackId = row.id;
            run.embeddingIds.push_back(row.id);
            const float j = float(row.id % 7) * 0.01f;
            for (const float v : far ? std::vector<float>{-1.0f, 0.0f, 0.0f, 1.0f} : std::vector<float>{1.0f, j, 0.5f - j, 0.1f})
                run.embeddings.push_back(v);
        }
        const qint64 runId = store.saveRun(run, &error);
        QVERIFY2(runId > 0, qPrintable(error));
        store.close();

        params.dataSpec.clear();
        const Result<ProjectHealthResult> r = runProjectHealthChecks(params, context);
        QVERIFY2(r.ok(), qPrintable(r.error()));
        QCOMPARE(r->embeddingRunId, runId);
        const IssueColumn &outlier = r->report.column(IssueType::Outlier);
        QVERIFY(outlier.computed);
        for (std::size_t i = 0; i < r->samples.size(); ++i) {
            if (r->sampleIds[i] == blackId) {
                QVERIFY(outlier.flag[i]);
            } else if (r->samples[i].split == QLatin1String("test")) {
                QCOMPARE(outlier.score[i], 1.0f); // not embedded: not scored
                QVERIFY(!outlier.flag[i]);
            }
        }

        // With outliers off, the same project is checked without them.
        params.runEmbeddings = false;
        const Result<ProjectHealthResult> off = runProjectHealthChecks(params, context);
        QVERIFY(off.ok());
        QVERIFY(!off->report.column(IssueType::Outlier).computed);
    }
};

QTEST_GUILESS_MAIN(TestHealthStore)
#include "tst_healthstore.moc"
