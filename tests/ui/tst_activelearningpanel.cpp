// GUI test of the active-learning panel (ui/activelearningpanel.h) in the review window: a round
// runs on a worker thread, queues a batch, the queued samples open in the labelling panel one
// after another as they are labelled.

#include "alprojectfixture.h"
#include "ui/uifixture.h"
#include "activelearningpanel.h"
#include "labellingpanel.h"
#include "mainwindow.h"
#include "reviewsession.h"

#include "base/dataset.h"
#include "base/projectstore.h"

#include <QComboBox>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace labelscope;
using namespace labelscope::ui;

class TestActiveLearningPanel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void roundQueuesAndLabellingAdvances()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("al.db"));
        {
            // 200 train images with their labels hidden (an unlabelled pool) and 200 test images.
            const QString made = testing::makeActiveLearningProject(file, 200, 0); // every training label hidden
            QVERIFY2(made.isEmpty(), qPrintable(made));
        }
        MainWindow w;
        QString error;
        QVERIFY2(w.openProject(file, &error), qPrintable(error));
        auto *al = w.findChild<ActiveLearningPanel *>(QStringLiteral("activeLearningPanel"));
        QVERIFY(al);
        w.tabs()->setCurrentWidget(al);
        QVERIFY(al->pendingQueue().isEmpty());
        al->batchBox()->setValue(8);

        // No labels yet: the round is a cold start (no training), on the worker thread.
        QSignalSpy finished(al, &ActiveLearningPanel::roundFinished);
        QSignalSpy failed(al, &ActiveLearningPanel::roundFailed);
        QVERIFY(al->runRound());
        QVERIFY(al->isRunning());
        QVERIFY(!al->runRound()); // one at a time
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, 120000);
        if (!failed.isEmpty())
            QFAIL(qPrintable(failed.front().front().toString()));
        const QVector<qint64> queue = al->pendingQueue();
        QCOMPARE(queue.size(), 8);
        QCOMPARE(al->findChild<QListWidget *>(QStringLiteral("alQueue"))->count(), 8);
        // The first queued sample opens in the labelling panel.
        QCOMPARE(w.panel()->sampleId(), queue[0]);

        // Label it with a number key's decision: the next queued one opens by itself.
        QVERIFY(w.decide(MainWindow::DecisionKind::Relabel, 3));
        QTRY_COMPARE(w.panel()->sampleId(), queue[1]);
        QCOMPARE(al->pendingQueue().size(), 7);
        const int i = w.session()->indexOf(queue[0]);
        QCOMPARE(w.session()->row(i).label, 3);
        QCOMPARE(al->nextQueued(queue[1]), queue[2]);

        // The store holds the round and its queue.
        const auto rounds = w.session()->store()->alRounds();
        QCOMPARE(int(rounds.size()), 1);
        QCOMPARE(int(w.session()->store()->alQueue(rounds[0].id).size()), 8);
    }

    // Issue 17: readable strategy names, Run round disabled with the reason when nothing is
    // unlabelled, nothing of one project's round shown with the next one.
    void disabledSaysWhyAndResetsOnSwitch()
    {
        QTemporaryDir dir;
        QString error;
        const QString labelled = testing::makeFixtureProject(dir.path(), &error); // every label known
        QVERIFY2(!labelled.isEmpty(), qPrintable(error));
        const QString pool = dir.filePath(QStringLiteral("al.db"));
        const QString made = testing::makeActiveLearningProject(pool, 40, 0);
        QVERIFY2(made.isEmpty(), qPrintable(made));
        MainWindow w;
        QVERIFY2(w.openProject(pool, &error), qPrintable(error));
        auto *al = w.findChild<ActiveLearningPanel *>(QStringLiteral("activeLearningPanel"));
        QVERIFY(al);
        QCOMPARE(al->strategyBox()->currentText(), QStringLiteral("Smallest margin"));
        QCOMPARE(al->strategyBox()->currentData().toString(), QStringLiteral("margin_based"));
        QVERIFY(al->strategyBox()->itemData(al->strategyBox()->currentIndex(), Qt::ToolTipRole)
                    .toString().contains(QStringLiteral("two most likely classes")));
        QVERIFY(al->runButton()->isEnabled());
        QVERIFY(al->disabledReason()->isHidden());

        QVERIFY2(w.openProject(labelled, &error), qPrintable(error));
        QVERIFY(!al->runButton()->isEnabled());
        QVERIFY(!al->disabledReason()->isHidden());
        QVERIFY2(al->disabledReason()->text().contains(QStringLiteral("every training sample has a label")),
                 qPrintable(al->disabledReason()->text()));
        QVERIFY(!al->runRound());
        QVERIFY(!al->isRunning());
    }

    // Issue 17: the status line, queue and curve of one project's round are gone when another
    // project opens; a round still running then is stopped and its outcome never shown; the
    // disabled buttons say why.
    void stateResetsOnProjectSwitch()
    {
        QTemporaryDir dir;
        QString error;
        const QString other = testing::makeFixtureProject(dir.path(), &error);
        QVERIFY2(!other.isEmpty(), qPrintable(error));
        const QString pool = dir.filePath(QStringLiteral("al.db"));
        const QString made = testing::makeActiveLearningProject(pool, 40, 20); // 20 labelled: a trained round
        QVERIFY2(made.isEmpty(), qPrintable(made));
        MainWindow w;
        QVERIFY2(w.openProject(pool, &error), qPrintable(error));
        auto *al = w.findChild<ActiveLearningPanel *>(QStringLiteral("activeLearningPanel"));
        QVERIFY(al);
        auto *showQueue = al->findChild<QPushButton *>(QStringLiteral("showQueueInGallery"));
        QVERIFY(showQueue);
        QVERIFY(!showQueue->isEnabled()); // no round yet
        QVERIFY(showQueue->toolTip().contains(QStringLiteral("Run round first")));
        QVERIFY(!al->findChild<QPushButton *>(QStringLiteral("showPoolInGallery"))->isEnabled());
        QVERIFY(al->findChild<QPushButton *>(QStringLiteral("showLabelledInGallery"))->isEnabled());
        QVERIFY(!al->cancelButton()->isEnabled());
        QVERIFY(al->cancelButton()->toolTip().contains(QStringLiteral("No round is running")));

        al->batchBox()->setValue(4);
        QSignalSpy finished(al, &ActiveLearningPanel::roundFinished);
        QSignalSpy failed(al, &ActiveLearningPanel::roundFailed);
        QVERIFY(al->runRound());
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, 120000);
        QVERIFY(failed.isEmpty());
        QVERIFY2(al->statusText().contains(QStringLiteral("queued 4")), qPrintable(al->statusText()));
        QCOMPARE(al->pendingQueue().size(), 4);
        QCOMPARE(al->curvePointCount(), 1); // its validation accuracy
        QVERIFY(showQueue->isEnabled());

        // Another project: nothing of the round is shown.
        QVERIFY2(w.openProject(other, &error), qPrintable(error));
        QVERIFY(al->statusText().isEmpty());
        QVERIFY(al->pendingQueue().isEmpty());
        QCOMPARE(al->curvePointCount(), 0);
        QVERIFY(!showQueue->isEnabled());

        // Back, a round started, and another project opened while it runs: it is stopped, and
        // its outcome is not shown over the other project.
        QVERIFY2(w.openProject(pool, &error), qPrintable(error));
        QVERIFY(al->statusText().isEmpty()); // the earlier round's outcome is not kept either
        QCOMPARE(al->pendingQueue().size(), 4); // the queue lives in the project
        QSignalSpy failed2(al, &ActiveLearningPanel::roundFailed);
        QSignalSpy finished2(al, &ActiveLearningPanel::roundFinished);
        QVERIFY(al->runRound());
        QVERIFY(al->cancelButton()->isEnabled());
        QVERIFY2(w.openProject(other, &error), qPrintable(error)); // synchronously: the round still runs
        QVERIFY(al->isRunning());
        QVERIFY(!al->cancelButton()->isEnabled());
        QVERIFY(!al->runButton()->isEnabled());
        QVERIFY2(al->disabledReason()->text().contains(QStringLiteral("stopping")),
                 qPrintable(al->disabledReason()->text()));
        QTRY_VERIFY_WITH_TIMEOUT(!al->isRunning(), 60000);
        QCOMPARE(finished2.count() + failed2.count(), 0); // neither reported for the other project
        QVERIFY(al->statusText().isEmpty());
        QVERIFY(al->pendingQueue().isEmpty());
        QVERIFY2(al->disabledReason()->text().contains(QStringLiteral("every training sample has a label")),
                 qPrintable(al->disabledReason()->text()));
    }
};

QTEST_MAIN(TestActiveLearningPanel)
#include "tst_activelearningpanel.moc"
