// The project store on both backends (issue 18): every test runs once on an SQLite file and once
// on a project in a PostgreSQL database (the throwaway cluster CTest starts:
// scripts/pg-test-cluster.sh, tests/backendfixture.h). Also: project copy in both directions
// loses nothing; the refusals of a wrong URL, a wrong password, a server that is down and a
// project that does not exist.
#include "backendfixture.h"
#include "storefixture.h"

#include "base/projectlocation.h"
#include "base/projectschema.h"
#include "base/projectstore.h"

#include <QElapsedTimer>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <set>
#include <thread>

using namespace labelscope;
using namespace labelscope::testing;

class TestStoreBackends final : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    void backends()
    {
        QTest::addColumn<QString>("backend");
        QTest::newRow("sqlite") << QStringLiteral("sqlite");
        QTest::newRow("postgresql") << QStringLiteral("postgresql");
    }
    // The location for this row, or skips the PostgreSQL row when no server was given.
    QString location(const QString &name)
    {
        QFETCH(QString, backend);
        if (backend == QLatin1String("postgresql") && postgresBaseUrl().isEmpty())
            return QString();
        return newLocation(backend, m_dir, name);
    }
#define LOCATION(var, name)                                                                                  \
    const QString var = location(name);                                                                      \
    if (var.isEmpty())                                                                                       \
        QSKIP("no PostgreSQL server: run through CTest (fixture 'postgres'), or set LABELSCOPE_TEST_POSTGRES " \
              "to a base URL, e.g. from scripts/pg-test-cluster.sh start build/pgtest");

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void importAndReopen_data() { backends(); }
    void importAndReopen()
    {
        LOCATION(where, QStringLiteral("import"));
        const Dataset ds = makeDataset(500, 7);
        QString error;
        {
            ProjectStore store;
            QVERIFY2(store.open(where, &error), qPrintable(error));
            QVERIFY2(store.importDataset(ds, {{QStringLiteral("limit"), QStringLiteral("500")}}, &error), qPrintable(error));
            QVERIFY2(store.setMeta(QStringLiteral("name"), QStringLiteral("première"), &error), qPrintable(error));
            QVERIFY2(store.setMeta(QStringLiteral("name"), QStringLiteral("seconde"), &error), qPrintable(error));
        }
        ProjectStore store;
        QVERIFY2(store.openExisting(where, &error), qPrintable(error));
        QCOMPARE(store.classes(), ds.classes);
        QCOMPARE(store.sampleCount(), qint64(500));
        QCOMPARE(store.meta(QStringLiteral("name")), QStringLiteral("seconde"));
        QCOMPARE(store.meta(QStringLiteral("limit")), QStringLiteral("500"));
        const std::vector<SampleRow> rows = store.samples();
        QCOMPARE(rows.size(), std::size_t(500));
        for (std::size_t i = 0; i < rows.size(); ++i) {
            QCOMPARE(rows[i].id, qint64(i + 1));
            QCOMPARE(rows[i].sample.path, ds.samples[i].path);
            QCOMPARE(rows[i].sample.offset, ds.samples[i].offset);
            QCOMPARE(rows[i].sample.split, ds.samples[i].split.isNull() ? QString(QLatin1String("")) : ds.samples[i].split);
            QCOMPARE(rows[i].givenLabel, ds.samples[i].label);
            QCOMPARE(rows[i].sample.trueLabel, ds.samples[i].trueLabel);
            QVERIFY(!rows[i].excluded);
        }
        // Importing twice is refused and writes nothing.
        QVERIFY(!store.importDataset(ds, &error));
        QVERIFY2(error.contains(QLatin1String("already holds 500 samples")), qPrintable(error));
        QCOMPARE(store.sampleCount(), qint64(500));
    }

    void decisionsHistoryAndClasses_data() { backends(); }
    void decisionsHistoryAndClasses()
    {
        LOCATION(where, QStringLiteral("decisions"));
        ProjectStore store;
        QString error;
        QVERIFY2(store.open(where, &error), qPrintable(error));
        QVERIFY2(store.importDataset(makeDataset(60, 4), &error), qPrintable(error));
        qint64 batch = 0;
        QVERIFY2(store.applyDecisions({{3, 2, false, QStringLiteral("relabel")}, {4, 1, true, QStringLiteral("exclude")}},
                                      QStringLiteral("ana"), &error, &batch),
                 qPrintable(error));
        QVERIFY(batch > 0);
        QVERIFY2(store.applyDecisions({{5, 0, false, QStringLiteral("accept")}}, QStringLiteral("ben"), &error), qPrintable(error));
        // An invalid decision refuses the whole batch.
        QVERIFY(!store.applyDecisions({{6, 1, false, QStringLiteral("relabel")}, {7, 99, false, QStringLiteral("relabel")}},
                                      QStringLiteral("ana"), &error));
        QCOMPARE(store.sample(6)->label, makeDataset(60, 4).samples[5].label);
        QCOMPARE(store.sample(3)->label, 2);
        QVERIFY(store.sample(4)->excluded);
        const std::vector<DecisionBatch> batches = store.decisionBatches();
        QCOMPARE(batches.size(), std::size_t(2));
        QCOMPARE(batches[0].batch, batch);
        QCOMPARE(batches[0].annotator, QStringLiteral("ana"));
        QCOMPARE(batches[0].events.size(), std::size_t(2));
        QCOMPARE(batches[1].annotator, QStringLiteral("ben"));
        const std::vector<LabelEvent> events = store.events(3);
        QCOMPARE(events.size(), std::size_t(2)); // import + relabel
        QCOMPARE(events.back().newLabel, 2);

        // A batch larger than the store's chunk of 500: every sample 20 times, in chunks apart;
        // each sample's events chain (old = the previous new) in the batch's order.
        std::vector<Decision> large;
        for (int i = 0; i < 1200; ++i)
            large.push_back({1 + i % 60, (i / 60) % 4, i % 7 == 0, QStringLiteral("relabel")});
        QVERIFY2(store.applyDecisions(large, QStringLiteral("o'neil"), &error), qPrintable(error));
        for (qint64 id = 1; id <= 60; ++id) {
            const std::vector<LabelEvent> chain = store.events(id);
            QVERIFY(chain.size() >= 20);
            const std::vector<LabelEvent> last(chain.end() - 20, chain.end());
            for (std::size_t j = 0; j < last.size(); ++j) {
                const Decision &dec = large[std::size_t(id - 1) + 60 * j];
                QCOMPARE(last[j].newLabel, dec.newLabel);
                QCOMPARE(last[j].newExcluded, dec.excluded);
                QCOMPARE(last[j].annotator, QStringLiteral("o'neil"));
                if (j > 0) {
                    QCOMPARE(last[j].oldLabel, last[j - 1].newLabel);
                    QVERIFY(last[j].id > last[j - 1].id);
                }
            }
            QCOMPARE(store.sample(id)->label, large[std::size_t(id - 1) + 60 * 19].newLabel);
            QCOMPARE(store.sample(id)->excluded, large[std::size_t(id - 1) + 60 * 19].excluded);
        }

        const Result<int> added = store.addClass(QStringLiteral("Nouvelle"), QStringLiteral("ana"));
        QVERIFY2(added, qPrintable(added.error()));
        QCOMPARE(added.value(), 4);
        QVERIFY(!store.addClass(QStringLiteral("nouvelle"), QStringLiteral("ana"))); // unique ignoring case
        QVERIFY(store.renameClass(4, QStringLiteral("Renamed"), QStringLiteral("ben")));
        const Result<qint64> merged = store.mergeClass(3, 4, QStringLiteral("ana"));
        QVERIFY2(merged, qPrintable(merged.error()));
        QCOMPARE(store.sample(3)->label, 4);
        const std::vector<ClassEvent> classEvents = store.classEvents();
        QCOMPARE(classEvents.size(), std::size_t(3));
        QCOMPARE(classEvents[1].newName, QStringLiteral("Renamed"));
        QCOMPARE(classEvents[2].action, QStringLiteral("merge"));
        QCOMPARE(store.classes().value(4), QStringLiteral("Renamed"));
    }

    // The event logs are append-only on both backends (triggers), also against TRUNCATE on the
    // server.
    void eventLogsAreAppendOnly_data() { backends(); }
    void eventLogsAreAppendOnly()
    {
        LOCATION(where, QStringLiteral("appendonly"));
        QFETCH(QString, backend);
        {
            ProjectStore store;
            QString error;
            QVERIFY2(store.open(where, &error), qPrintable(error));
            QVERIFY2(store.importDataset(makeDataset(10, 3), &error), qPrintable(error));
            QVERIFY(store.addClass(QStringLiteral("extra"), QStringLiteral("ana")));
        }
        RawProject raw(where);
        QVERIFY(raw.ok);
        QString error;
        QVERIFY(!raw.exec(QStringLiteral("UPDATE label_events SET new_label = 0"), &error));
        QVERIFY2(error.contains(QLatin1String("append-only")), qPrintable(error));
        QVERIFY(!raw.exec(QStringLiteral("DELETE FROM label_events"), &error));
        QVERIFY2(error.contains(QLatin1String("append-only")), qPrintable(error));
        QVERIFY(!raw.exec(QStringLiteral("DELETE FROM class_events"), &error));
        QVERIFY2(error.contains(QLatin1String("append-only")), qPrintable(error));
        if (backend == QLatin1String("postgresql")) {
            QVERIFY(!raw.exec(QStringLiteral("TRUNCATE label_events"), &error));
            QVERIFY2(error.contains(QLatin1String("append-only")), qPrintable(error));
        }
        QCOMPARE(raw.value(QStringLiteral("SELECT count(*) FROM label_events")).toInt(), 10);
    }

    void runsLayoutsAndRounds_data() { backends(); }
    void runsLayoutsAndRounds()
    {
        LOCATION(where, QStringLiteral("runs"));
        ProjectStore store;
        QString error;
        QVERIFY2(store.open(where, &error), qPrintable(error));
        QVERIFY2(store.importDataset(makeDataset(300, 10), &error), qPrintable(error));
        RunRecord run = makeRun(300, 4, 8, 3);
        run.scores[7].dpScore = 0.25f; // one sample with Confident Learning's inputs, the rest NaN
        run.scores[7].clScore = 0.75f;
        run.scores[7].clIssue = true;
        run.predProbs.numClasses = 10;
        for (int i = 0; i < 300; ++i) {
            run.predProbs.sampleIds.push_back(i + 1);
            run.predProbs.folds.push_back(i % 4);
            for (int c = 0; c < 10; ++c)
                run.predProbs.probs.push_back(c == i % 10 ? 0.91f : 0.01f);
        }
        run.layouts.push_back({QStringLiteral("embedding"), {1, 2, 3}, {0.f, 1.f, 2.f, 3.f, 4.f, 5.f}, {}});
        const qint64 id = store.saveRun(run, &error);
        QVERIFY2(id > 0, qPrintable(error));
        const qint64 second = store.saveRun(makeRun(300, 2, 0, 5, QStringLiteral("cancelled")), &error);
        QVERIFY2(second > id, qPrintable(error));
        QCOMPARE(store.latestRun()->id, id);

        const std::vector<SampleScore> scores = store.scores(id);
        QCOMPARE(scores.size(), std::size_t(300));
        for (std::size_t i = 0; i < scores.size(); ++i) {
            QCOMPARE(scores[i].noiseScore, run.scores[i].noiseScore); // float → double → float: exact
            QCOMPARE(scores[i].category, run.scores[i].category);
            QCOMPARE(scores[i].sigma, run.scores[i].sigma);
            QCOMPARE(scores[i].predLabel, run.scores[i].predLabel);
            QCOMPARE(std::isnan(scores[i].dpScore), i != 7);
        }
        QCOMPARE(scores[7].dpScore, 0.25f);
        QVERIFY(scores[7].clIssue);
        const std::optional<Trajectory> t = store.trajectory(id, 11);
        QVERIFY(t.has_value());
        QCOMPARE(t->sigma.size(), std::size_t(4));
        QCOMPARE(t->margin[2], run.dynamics.margin[10 * 4 + 2]);
        std::vector<qint64> ids;
        std::vector<float> data;
        int dim = 0;
        QVERIFY(store.embeddings(id, &ids, &data, &dim));
        QCOMPARE(dim, 8);
        QCOMPARE(data, run.embeddings);
        OutOfSamplePredProbs pp;
        QVERIFY(store.outOfSamplePredProbs(id, &pp));
        QCOMPARE(pp.probs, run.predProbs.probs);
        QCOMPARE(pp.folds, run.predProbs.folds);

        // A layout is replaced, not duplicated (the upsert of both dialects).
        QVERIFY2(store.saveLayout(id, {QStringLiteral("embedding"), {9}, {7.f, 8.f}, {{QStringLiteral("perplexity"), 30}}}, &error),
                 qPrintable(error));
        const std::optional<Layout> layout = store.layout(id, QStringLiteral("embedding"));
        QVERIFY(layout.has_value());
        QCOMPARE(layout->sampleIds, std::vector<qint64>{9});
        QCOMPARE(layout->settings.value(QStringLiteral("perplexity")).toInt(), 30);

        AlRoundInfo round;
        round.strategy = QStringLiteral("margin");
        round.batchSize = 3;
        round.valAccuracy = 0.5;
        // Unlabelled samples (makeDataset: every 11th, ids 1, 12, 23, ...) are queued.
        const qint64 roundId = store.saveAlRound(round, {{12, 0, 0.9f}, {23, 1, 0.8f}, {34, 2, 0.7f}}, &error);
        QVERIFY2(roundId > 0, qPrintable(error));
        // Two rounds never queue the same waiting sample.
        QCOMPARE(store.saveAlRound(round, {{23, 0, 0.5f}}, &error), qint64(0));
        QVERIFY(store.saveAlScores(roundId, {1, 2}, {0.5f, 0.25f}, &error));
        QVERIFY(store.saveAlScores(roundId, {1, 2, 3}, {0.5f, 0.25f, 0.125f}, &error)); // replaces
        std::vector<qint64> alIds;
        std::vector<float> alScores;
        QVERIFY(store.alScores(roundId, &alIds, &alScores));
        QCOMPARE(alScores, (std::vector<float>{0.5f, 0.25f, 0.125f}));
        QCOMPARE(store.alQueue(roundId).size(), std::size_t(3));
        QCOMPARE(store.alRounds().front().valAccuracy, 0.5);

        HealthRecord health;
        health.runId = id;
        health.summary = QJsonObject{{QStringLiteral("samples"), 300}};
        health.columns.push_back({QStringLiteral("dark"), 0.37, {1, 2, 3}, {1.0f, 0.25f, 0.5f}, {0, 1, 0}});
        health.sets.push_back({QStringLiteral("near"), {3, 1}, true});
        const qint64 healthId = store.saveHealth(health, &error);
        QVERIFY2(healthId > 0, qPrintable(error));
        const std::optional<HealthRecord> back = store.latestHealth();
        QVERIFY(back.has_value());
        QCOMPARE(back->id, healthId);
        QCOMPARE(back->columns[0].flag, (std::vector<std::uint8_t>{0, 1, 0}));
        QVERIFY(back->sets[0].leaks);
    }

    // Claims split the flagged samples: two annotators never hold the same sample, reviewed
    // samples are skipped, an expired claim is free again, and two clients claiming at the same
    // moment (separate connections: on PostgreSQL two writers, FOR UPDATE SKIP LOCKED) get
    // disjoint samples.
    void claims_data() { backends(); }
    void claims()
    {
        LOCATION(where, QStringLiteral("claims"));
        QFETCH(QString, backend);
        ProjectStore store;
        QString error;
        QVERIFY2(store.open(where, &error), qPrintable(error));
        QVERIFY2(store.importDataset(makeDataset(300, 4), &error), qPrintable(error));
        QVERIFY(store.applyDecisions({{3, 1, false, QStringLiteral("relabel")}}, QStringLiteral("ana"), &error));
        std::vector<qint64> ranked;
        for (qint64 id = 1; id <= 300; ++id)
            ranked.push_back(id);
        const Result<std::vector<qint64>> ana = store.claimSamples(ranked, 5, QStringLiteral("ana"));
        QVERIFY2(ana, qPrintable(ana.error()));
        QCOMPARE(ana.value(), (std::vector<qint64>{1, 2, 4, 5, 6})); // 3 is reviewed already
        const Result<std::vector<qint64>> ben = store.claimSamples(ranked, 5, QStringLiteral("ben"));
        QCOMPARE(ben.value(), (std::vector<qint64>{7, 8, 9, 10, 11}));
        // ana's own claims are renewed, not lost; a short claim expires and is free again.
        QCOMPARE(store.claimSamples(ranked, 5, QStringLiteral("ana")).value(), ana.value());
        QCOMPARE(store.claims().size(), std::size_t(10));
        QVERIFY(store.releaseClaims(QStringLiteral("ana"), {1, 2}));
        QCOMPARE(store.claimSamples(ranked, 2, QStringLiteral("cleo"), 1).value(), (std::vector<qint64>{1, 2}));
        QTest::qWait(1100);
        QCOMPARE(store.claimSamples({1, 2, 7}, 3, QStringLiteral("dan")).value(), (std::vector<qint64>{1, 2}));

        // Two clients at once, many times: never the same sample. On PostgreSQL the second
        // client connects through another host name, so that it has a writer of its own.
        QString other = where;
        if (backend == QLatin1String("postgresql"))
            other.replace(QStringLiteral("@127.0.0.1:"), QStringLiteral("@localhost:"));
        for (int round = 0; round < 10; ++round) {
            std::vector<qint64> pool;
            for (qint64 id = 20 + round * 25; id < 45 + round * 25; ++id)
                pool.push_back(id);
            Result<std::vector<qint64>> first = std::vector<qint64>{}, second = std::vector<qint64>{};
            std::thread t([&] {
                ProjectStore mine;
                QString e;
                if (!mine.open(other, &e)) {
                    second = Result<std::vector<qint64>>::failure(e);
                    return;
                }
                second = mine.claimSamples(pool, 15, QStringLiteral("eve%1").arg(round));
            });
            first = store.claimSamples(pool, 15, QStringLiteral("fay%1").arg(round));
            t.join();
            QVERIFY2(first && second, qPrintable(first.error() + second.error()));
            std::set<qint64> a(first->begin(), first->end());
            for (qint64 id : second.value())
                QVERIFY2(!a.count(id), qPrintable(QStringLiteral("sample %1 claimed twice in round %2").arg(id).arg(round)));
            QCOMPARE(first->size() + second->size(), std::size_t(25)); // 15 + 10: every free sample once
        }
    }

    // project copy: SQLite → PostgreSQL → SQLite keeps every row of every table, and the copies
    // go on working (new ids continue after the copied ones).
    void copyRoundTrip()
    {
        if (postgresBaseUrl().isEmpty())
            QSKIP("no PostgreSQL server (see importAndReopen)");
        const QString file = m_dir.filePath(QStringLiteral("copy-source.lsproj"));
        QString error;
        {
            ProjectStore store;
            QVERIFY2(store.open(file, &error), qPrintable(error));
            QVERIFY2(store.importDataset(makeDataset(400, 5), &error), qPrintable(error));
            QVERIFY(store.applyDecisions({{3, 2, false, QStringLiteral("relabel")}}, QStringLiteral("ana"), &error));
            QVERIFY(store.addClass(QStringLiteral("extra"), QStringLiteral("ana")));
            RunRecord run = makeRun(400, 3, 4, 1);
            run.layouts.push_back({QStringLiteral("embedding"), {1, 2}, {0.f, 1.f, 2.f, 3.f}, {}});
            QVERIFY2(store.saveRun(run, &error) > 0, qPrintable(error));
            AlRoundInfo round;
            round.strategy = QStringLiteral("entropy");
            const qint64 roundId = store.saveAlRound(round, {{45, 0, 0.5f}}, &error);
            QVERIFY2(roundId > 0, qPrintable(error));
            QVERIFY(store.saveAlScores(roundId, {10, 11}, {0.5f, 0.4f}, &error));
            HealthRecord health;
            health.summary = QJsonObject{{QStringLiteral("samples"), 400}};
            health.columns.push_back({QStringLiteral("blurry"), 0.2, {1, 2}, {0.1f, 0.9f}, {1, 0}});
            QVERIFY(store.saveHealth(health, &error) > 0);
        }
        const QString url = newLocation(QStringLiteral("postgresql"), m_dir, QStringLiteral("copy"));
        const Result<ProjectCopyStats> there = ProjectStore::copyProject(file, url);
        QVERIFY2(there, qPrintable(there.error()));
        QCOMPARE(there->rows.value(QStringLiteral("samples")), qint64(400));
        QCOMPARE(there->rows.value(QStringLiteral("scores")), qint64(400));
        const QString back = m_dir.filePath(QStringLiteral("copy-back.lsproj"));
        const Result<ProjectCopyStats> home = ProjectStore::copyProject(url, back);
        QVERIFY2(home, qPrintable(home.error()));
        QCOMPARE(home->rows, there->rows);

        // Every table equal, row by row, between the source and the copy of the copy.
        RawProject a(file), b(back);
        for (const auto &[table, columns] : requiredSchema()) {
            QSqlQuery qa(a.db()), qb(b.db());
            const QString sql = QStringLiteral("SELECT * FROM %1 ORDER BY 1, 2").arg(QLatin1String(table));
            QVERIFY(qa.exec(sql) && qb.exec(sql));
            int rows = 0;
            while (qa.next()) {
                QVERIFY2(qb.next(), table);
                for (int c = 0; c < qa.record().count(); ++c)
                    QVERIFY2(qa.value(c) == qb.value(c) || (qa.value(c).isNull() && qb.value(c).isNull()),
                             qPrintable(QStringLiteral("%1 row %2 column %3").arg(QLatin1String(table)).arg(rows).arg(c)));
                ++rows;
            }
            QVERIFY2(!qb.next(), table);
        }
        // The PostgreSQL copy goes on: a new decision and a new run get fresh ids.
        ProjectStore copy;
        QVERIFY2(copy.openExisting(url, &error), qPrintable(error));
        QVERIFY2(copy.applyDecisions({{5, 1, false, QStringLiteral("relabel")}}, QStringLiteral("ben"), &error), qPrintable(error));
        QVERIFY2(copy.saveRun(makeRun(400, 1, 0, 2), &error) > 0, qPrintable(error));
        QCOMPARE(copy.runs().size(), std::size_t(2));
        QCOMPARE(copy.decisionBatches().size(), std::size_t(2)); // the copied relabel and this one

        // A destination that holds a project is refused and left as it was.
        const Result<ProjectCopyStats> again = ProjectStore::copyProject(file, url);
        QVERIFY(!again);
        QVERIFY2(again.error().contains(QLatin1String("already holds")), qPrintable(again.error()));
        QCOMPARE(copy.sampleCount(), qint64(400));
    }

    // The two roles of README's "Share a project" (packaging/postgresql/*.sql), as documented:
    // a maintainer creates a project and grants it; an annotator reads it and decides, but
    // cannot write runs nor rewrite the log.
    void rolesAndGrants()
    {
        if (postgresBaseUrl().isEmpty())
            QSKIP("no PostgreSQL server (see importAndReopen)");
        const Result<ProjectLocation> base = ProjectLocation::parse(postgresBaseUrl() + QStringLiteral("?project=x"));
        QVERIFY(base);
        const QString pid = QString::number(QCoreApplication::applicationPid());
        const QString project = QStringLiteral("grants_") + pid;
        const QString maintainer = QStringLiteral("t_max_") + pid, annotator = QStringLiteral("t_alice_") + pid;
        auto urlAs = [&](const QString &user) {
            return QStringLiteral("postgresql://%1@%2:%3/%4?project=%5").arg(user, base->host).arg(base->port).arg(base->database, project);
        };
        // Runs an SQL file of packaging/postgresql with psql's :"var" variables substituted.
        auto runFile = [](RawProject &raw, const QString &name, const QMap<QString, QString> &vars) {
            QFile f(QStringLiteral(LABELSCOPE_SOURCE_DIR "/packaging/postgresql/") + name);
            if (!f.open(QIODevice::ReadOnly))
                return QStringLiteral("cannot read %1").arg(f.fileName());
            QStringList lines;
            for (const QString &line : QString::fromUtf8(f.readAll()).split(QLatin1Char('\n')))
                if (!line.trimmed().startsWith(QLatin1String("--")))
                    lines << line;
            QString sql = lines.join(QLatin1Char('\n'));
            for (auto it = vars.begin(); it != vars.end(); ++it)
                sql.replace(QStringLiteral(":\"%1\"").arg(it.key()), QLatin1Char('"') + it.value() + QLatin1Char('"'));
            for (const QString &statement : sql.split(QLatin1Char(';'))) {
                QString error;
                if (!statement.trimmed().isEmpty() && !raw.exec(statement, &error) && !error.contains(QLatin1String("already exists")))
                    return QStringLiteral("%1: %2: %3").arg(name, statement.simplified(), error);
            }
            return QString();
        };
        {
            RawProject super(postgresBaseUrl() + QStringLiteral("?project=x"));
            QVERIFY(super.ok);
            const QString problem = runFile(super, QStringLiteral("roles.sql"), {{QStringLiteral("db"), base->database}});
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
            QVERIFY(super.exec(QStringLiteral("CREATE ROLE %1 LOGIN IN ROLE labelscope_maintainers").arg(maintainer)));
            QVERIFY(super.exec(QStringLiteral("CREATE ROLE %1 LOGIN IN ROLE labelscope_annotators").arg(annotator)));
        }
        QString error;
        {
            ProjectStore store;
            QVERIFY2(store.open(urlAs(maintainer), &error), qPrintable(error));
            QVERIFY2(store.importDataset(makeDataset(40, 3), &error), qPrintable(error));
            QVERIFY2(store.saveRun(makeRun(40, 2, 0, 1), &error) > 0, qPrintable(error));
        }
        {
            RawProject owner(urlAs(maintainer));
            QVERIFY(owner.ok);
            const QString problem = runFile(owner, QStringLiteral("grant-project.sql"), {{QStringLiteral("project"), project}});
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
        ProjectStore alice;
        QVERIFY2(alice.openExisting(urlAs(annotator), &error), qPrintable(error));
        QCOMPARE(alice.sampleCount(), qint64(40));
        QCOMPARE(alice.scores(alice.latestRun()->id).size(), std::size_t(40));
        QVERIFY2(alice.applyDecisions({{2, 0, false, QStringLiteral("relabel")}}, QStringLiteral("alice"), &error), qPrintable(error));
        QVERIFY2(alice.addClass(QStringLiteral("new class"), QStringLiteral("alice")), "an annotator adds classes");
        QCOMPARE(alice.saveRun(makeRun(40, 1, 0, 2), &error), qint64(0));
        QVERIFY2(error.contains(QLatin1String("permission denied")), qPrintable(error));
        RawProject raw(urlAs(annotator));
        QVERIFY(!raw.exec(QStringLiteral("DELETE FROM runs"), &error));
        QVERIFY2(error.contains(QLatin1String("permission denied")), qPrintable(error));
        QVERIFY(!raw.exec(QStringLiteral("UPDATE samples SET given_label = 0"), &error));
        QVERIFY2(error.contains(QLatin1String("permission denied")), qPrintable(error));
        alice.close();
        (void)ProjectStore::dropPostgresProject(urlAs(maintainer));
    }

    void refusals()
    {
        // Malformed URLs are refused before any connection, naming what is wrong.
        const struct {
            const char *url, *expected;
        } bad[] = {
            {"postgresql://ana:secret@db.example/labels?project=p", "must not hold a password"},
            {"postgresql://ana:@db.example/labels?project=p", "must not hold a password"},
            {"postgresql://db.example/labels?project=p&password=x", "must not hold a password"},
            {"postgresql://db.example/labels", "?project=NAME"},
            {"postgresql://db.example/labels?project=1abc", "must be letters"},
            {"postgresql://db.example/labels?project=pg_x", "reserved"},
            {"postgresql://db.example/labels?project=p&sslmode=maybe", "sslmode must be"},
            {"postgresql://db.example/labels?project=p&colour=red", "unknown parameter 'colour'"},
            {"postgresql://db.example:99999/labels?project=p", "port"},
        };
        for (const auto &b : bad) {
            ProjectStore store;
            QString error;
            QVERIFY2(!store.open(QString::fromLatin1(b.url), &error), b.url);
            QVERIFY2(error.contains(QLatin1String(b.expected)), qPrintable(error));
            QVERIFY2(!error.contains(QLatin1String("secret")), qPrintable(error));
        }
        const Result<ProjectLocation> good =
            ProjectLocation::parse(QStringLiteral("postgresql://ana@db.example:5433/labels?project=Shoes_2&sslmode=require"));
        QVERIFY2(good, qPrintable(good.error()));
        QCOMPARE(good->host, QStringLiteral("db.example"));
        QCOMPARE(good->port, 5433);
        QCOMPARE(good->user, QStringLiteral("ana"));
        QCOMPARE(good->database, QStringLiteral("labels"));
        QCOMPARE(good->project, QStringLiteral("Shoes_2"));
        QCOMPARE(good->display(), QStringLiteral("postgresql://ana@db.example:5433/labels?project=Shoes_2&sslmode=require"));

        // A server that is down: port 1 of this machine (privileged: no database listens there)
        // fails fast with a clear error, no hang (connect_timeout bounds it).
        const int port = 1;
        {
            ProjectStore store;
            QString error;
            QElapsedTimer timer;
            timer.start();
            QVERIFY(!store.open(QStringLiteral("postgresql://nobody@127.0.0.1:%1/db?project=p&connect_timeout=2").arg(port), &error));
            QVERIFY2(error.contains(QLatin1String("cannot be reached")), qPrintable(error));
            QVERIFY2(error.contains(QStringLiteral("127.0.0.1:%1").arg(port)), qPrintable(error));
            qInfo("server down refused in %lld ms: %s", timer.elapsed(), qPrintable(error));
        }
        if (postgresBaseUrl().isEmpty())
            QSKIP("no PostgreSQL server for the remaining refusals (see importAndReopen)");
        // No such project: openExisting refuses and creates nothing.
        {
            const QString url = newLocation(QStringLiteral("postgresql"), m_dir, QStringLiteral("missing"));
            ProjectStore store;
            QString error;
            QVERIFY(!store.openExisting(url, &error));
            QVERIFY2(error.contains(QLatin1String("no such project")), qPrintable(error));
            const Result<bool> exists = ProjectStore::postgresProjectExists(url);
            QVERIFY(exists && !exists.value());
        }
        // A wrong password (the cluster's labelscope_pw role, password "right", scram over TCP).
        {
            const Result<ProjectLocation> base = ProjectLocation::parse(postgresBaseUrl() + QStringLiteral("?project=p"));
            QVERIFY(base);
            const QString url = QStringLiteral("postgresql://labelscope_pw@%1:%2/%3?project=pw_test")
                                    .arg(base->host)
                                    .arg(base->port)
                                    .arg(base->database);
            const QByteArray saved = qgetenv("PGPASSWORD");
            qputenv("PGPASSWORD", "wrong");
            ProjectStore store;
            QString error;
            QVERIFY(!store.open(url, &error));
            QVERIFY2(error.contains(QLatin1String("wrong password")) || error.contains(QLatin1String("password authentication failed")),
                     qPrintable(error));
            QVERIFY2(!error.contains(QLatin1String("wrong\"")), qPrintable(error));
            qputenv("PGPASSWORD", "right");
            QVERIFY2(store.open(url, &error), qPrintable(error));
            store.close();
            (void)ProjectStore::dropPostgresProject(url);
            if (saved.isNull())
                qunsetenv("PGPASSWORD");
            else
                qputenv("PGPASSWORD", saved);
        }
    }
};

QTEST_GUILESS_MAIN(TestStoreBackends)
#include "tst_storebackends.moc"
