// The pool uncertainty of an active-learning round (ProjectStore::saveAlScores / alScores, table
// al_scores of schema v3): runAlProjectRound stores the uncertainty of every pool sample it
// scored (the `limit` subset), consistent with the queue it chose.

#include "base/dataset.h"
#include "base/projectstore.h"
#include "alprojectfixture.h"
#include "ml/activelearning.h"
#include "ml/alconfig.h"

#include <QHash>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>

using namespace labelscope;
using labelscope::testing::projectRound;

class TestAlScores final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundStoresScoredPool()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("al.db"));
        QSet<qint64> labelledIds;
        {
            // 200 train images, labels hidden except the first 30; 200 labelled test images.
            const QString made = testing::makeActiveLearningProject(file, 200, 30, &labelledIds);
            QVERIFY2(made.isEmpty(), qPrintable(made));
        }
        QCOMPARE(labelledIds.size(), 30);

        AlConfig config;
        config.strategy = QStringLiteral("margin_based");
        config.diversity = QStringLiteral("pick_top_n");
        config.numLabelled = 5;
        config.limit = 60;
        config.epochs = 1;
        config.minSteps = 10;
        config.augment = false;
        std::atomic_bool cancel{false};
        AlProjectRound out;
        QString error;
        QVERIFY2(projectRound(file, config, cancel, &out, &error), qPrintable(error));
        QCOMPARE(out.queued.size(), std::size_t(5));
        QCOMPARE(out.scored, int64_t(60));

        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        std::vector<qint64> ids;
        std::vector<float> scores;
        QVERIFY2(store.alScores(out.roundId, &ids, &scores), qPrintable(store.lastError()));
        QCOMPARE(ids.size(), std::size_t(60));
        QCOMPARE(scores.size(), ids.size());
        QHash<qint64, float> scoreOf;
        for (std::size_t j = 0; j < ids.size(); ++j) {
            QVERIFY2(!labelledIds.contains(ids[j]), "a labelled sample was stored as scored pool");
            QVERIFY(std::isfinite(scores[j]));
            QVERIFY(!scoreOf.contains(ids[j]));
            scoreOf.insert(ids[j], scores[j]);
        }
        // The queue is the top 5 of the stored pool uncertainty (pick_top_n), with the same scores.
        std::vector<float> sorted = scores;
        std::sort(sorted.begin(), sorted.end(), std::greater<float>());
        const std::vector<AlQueueItem> queue = store.alQueue(out.roundId);
        QCOMPARE(queue.size(), std::size_t(5));
        for (const AlQueueItem &q : queue) {
            QVERIFY(scoreOf.contains(q.sampleId));
            QCOMPARE(scoreOf.value(q.sampleId), q.score);
            QVERIFY(q.score >= sorted[4]);
        }
    }

    void refusesBadInput()
    {
        QTemporaryDir dir;
        ProjectStore store;
        QString error;
        QVERIFY2(store.open(dir.filePath(QStringLiteral("p.db")), &error), qPrintable(error));
        QVERIFY(!store.saveAlScores(7, {1, 2}, {0.5f, 0.25f}, &error));
        QVERIFY2(error.contains(QStringLiteral("no such round")), qPrintable(error));
        AlRoundInfo info;
        info.strategy = QStringLiteral("margin_based");
        info.diversity = QStringLiteral("pick_top_n");
        const qint64 round = store.saveAlRound(info, {}, &error);
        QVERIFY2(round > 0, qPrintable(error));
        QVERIFY(!store.saveAlScores(round, {1, 2}, {0.5f}, &error));
        QVERIFY2(error.contains(QStringLiteral("2 sample ids but 1 scores")), qPrintable(error));
        std::vector<qint64> ids{99};
        std::vector<float> scores{1.f};
        QVERIFY(store.alScores(round, &ids, &scores)); // none stored: empty, not an error
        QVERIFY(ids.empty() && scores.empty());
    }
};

QTEST_GUILESS_MAIN(TestAlScores)
#include "tst_alscores.moc"
