// GUI tests (offscreen) of a project shared by several windows (issue 18), on an SQLite file and
// on a PostgreSQL project (the throwaway cluster of CTest's "postgres" fixture): a decision made
// in one window reaches the other window's rows, recorded under its annotator's name; a window's
// own decisions are not applied twice; a run written elsewhere (a headless worker) is offered in
// the other window's status bar and shown on request; each annotator's undo history is their own.

#include "backendfixture.h"
#include "storefixture.h"
#include "ui/uifixture.h"

#include "agreementview.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "mainwindow.h"
#include "reviewsession.h"
#include "statisticspage.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QPushButton>
#include <QTableWidget>
#include <QUndoStack>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace labelscope;
using namespace labelscope::testing;
using namespace labelscope::ui;

namespace {
// How long a change may take to reach another window in this test. The target (≤ 1 s at p95)
// is measured by tests/benchmarks/team_load.cpp; here the bound only has to hold on a loaded
// CI machine, where a file event or a notification can wait behind other processes.
constexpr int kArrivalMs = 15000;
} // namespace

class TestTeamReview : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_made = 0;

    // A fixture project (six samples and one run) on the row's backend, or "" to skip.
    QString project()
    {
        QFETCH(QString, backend);
        const QString dir = m_dir.filePath(QStringLiteral("p%1").arg(m_made++));
        if (!QDir().mkpath(dir))
            return QString();
        QString error;
        const QString file = makeFixtureProject(dir, &error);
        if (file.isEmpty())
            qWarning("fixture: %s", qPrintable(error));
        if (backend == QLatin1String("sqlite") || file.isEmpty())
            return file;
        if (postgresBaseUrl().isEmpty())
            return QString();
        const QString url = newLocation(backend, m_dir, QStringLiteral("team%1").arg(m_made));
        const Result<ProjectCopyStats> copied = ProjectStore::copyProject(file, url);
        if (!copied)
            qWarning("copy: %s", qPrintable(copied.error()));
        return copied ? url : QString();
    }

private Q_SLOTS:
    void backends_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::newRow("sqlite") << QStringLiteral("sqlite");
        QTest::newRow("postgresql") << QStringLiteral("postgresql");
    }

    void decisionsReachTheOtherWindow_data() { backends_data(); }
    void decisionsReachTheOtherWindow()
    {
        const QString where = project();
        if (where.isEmpty())
            QSKIP("no PostgreSQL server: run through CTest (fixture 'postgres') or set LABELSCOPE_TEST_POSTGRES");
        ReviewSession ana;
        MainWindow window; // ben's window
        QString error;
        QVERIFY2(ana.open(where, &error), qPrintable(error));
        QVERIFY2(window.openProject(where, &error), qPrintable(error));
        ReviewSession *ben = window.session();
        ana.setAnnotator(QStringLiteral("ana"));
        ben->setAnnotator(QStringLiteral("ben"));
        const int two = ben->indexOf(2);
        QCOMPARE(ben->row(two).label, 1);

        QSignalSpy arrived(ben, &ReviewSession::samplesChanged);
        QVERIFY2(ana.decide({{2, 0, false, QStringLiteral("relabel")}, {5, 1, true, QStringLiteral("exclude")}},
                            QStringLiteral("Relabel"), &error),
                 qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(ben->row(two).label == 0 && ben->row(ben->indexOf(5)).excluded, kArrivalMs);
        QVERIFY(arrived.count() >= 1);
        // ben's gallery shows the new label (the model follows samplesChanged).
        QCOMPARE(ben->counts().excluded, qint64(1));

        // ben's own decision comes back through the watcher too, and changes nothing again.
        QSignalSpy echoed(ben, &ReviewSession::samplesChanged);
        QVERIFY2(ben->decide({{3, 0, false, QStringLiteral("relabel")}}, QStringLiteral("Relabel"), &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(ana.row(ana.indexOf(3)).label == 0, kArrivalMs);
        const int afterOwn = int(echoed.count());
        ben->applyRemoteChanges();
        QCOMPARE(int(echoed.count()), afterOwn);

        // The log says who decided what.
        ProjectStore store;
        QVERIFY2(store.openExisting(where, &error), qPrintable(error));
        QCOMPARE(store.events(2).back().annotator, QStringLiteral("ana"));
        QCOMPARE(store.events(3).back().annotator, QStringLiteral("ben"));

        // A run written elsewhere is offered in ben's status bar, and shown on request.
        auto *offer = window.findChild<QPushButton *>(QStringLiteral("newAnalysisAvailable"));
        QVERIFY(offer);
        QVERIFY(offer->isHidden());
        const qint64 before = ben->runId();
        const qint64 newer = store.saveRun(makeRun(6, 2, 0, 1), &error);
        QVERIFY2(newer > before, qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!offer->isHidden(), kArrivalMs);
        QVERIFY2(offer->text().contains(QString::number(newer)), qPrintable(offer->text()));
        QCOMPARE(ben->runId(), before); // never switched under the annotator's hands
        offer->click();
        QCOMPARE(ben->runId(), newer);
        QVERIFY(offer->isHidden());
        // The rows still hold every decision after the reload.
        QCOMPARE(ben->row(two).label, 0);
    }

    // Two windows claim batches: the flagged samples are split, never shared; the team
    // agreement dialog lists a disagreement as a conflict.
    void claimsSplitTheWork_data() { backends_data(); }
    void claimsSplitTheWork()
    {
        const QString where = project();
        if (where.isEmpty())
            QSKIP("no PostgreSQL server");
        MainWindow first, second;
        QString error;
        QVERIFY2(first.openProject(where, &error), qPrintable(error));
        QVERIFY2(second.openProject(where, &error), qPrintable(error));
        first.session()->setAnnotator(QStringLiteral("ana"));
        second.session()->setAnnotator(QStringLiteral("ben"));
        // The fixture flags four samples (hard: 2, 4; need review: 3, 6), most likely wrong first.
        const std::vector<qint64> a = first.claimBatch(2), b = second.claimBatch(10);
        QCOMPARE(a, (std::vector<qint64>{2, 4}));
        QCOMPARE(b, (std::vector<qint64>{3, 6}));
        QCOMPARE(first.gallery()->model()->rowCount(), 2);
        QCOMPARE(second.gallery()->model()->rowCount(), 2);
        QVERIFY(second.claimBatch(10).size() == 2); // ben's own claims come back to him, no more

        // ana and ben both decide sample 3 (ben's claim does not stop ana from deciding it on
        // purpose), differently: a conflict.
        QVERIFY(first.session()->decide({{3, 0, false, QStringLiteral("relabel")}}, QStringLiteral("Relabel"), &error));
        QVERIFY(second.session()->decide({{3, 1, false, QStringLiteral("relabel")}}, QStringLiteral("Relabel"), &error));
        second.showAgreement();
        auto *dialog = second.findChild<QDialog *>(QStringLiteral("agreementDialog"));
        QVERIFY(dialog);
        auto *view = dialog->findChild<AgreementView *>();
        QVERIFY(view);
        QTRY_VERIFY(!view->isRefreshing()); // the log is read on a worker thread
        QCOMPARE(view->pairsTable()->rowCount(), 1);
        QCOMPARE(view->pairsTable()->item(0, 2)->text(), QStringLiteral("1"));
        QCOMPARE(view->pairsTable()->item(0, 3)->text(), QStringLiteral("0.0%"));
        QVERIFY(view->conflictsButton()->isEnabled());
        view->conflictsButton()->click();
        QCOMPARE(second.gallery()->model()->rowCount(), 1);
        // The statistics page shows the same, once it is seen.
        StatisticsPage *statistics = second.findChild<StatisticsPage *>();
        QVERIFY(statistics);
        statistics->agreementView()->refresh();
        QVERIFY(statistics->agreementView()->isRefreshing()); // until its result has been shown
        QTRY_VERIFY(!statistics->agreementView()->isRefreshing());
        QCOMPARE(statistics->agreementView()->pairsTable()->rowCount(), 1);
        QCOMPARE(statistics->agreementView()->classesTable()->rowCount(), 1);
    }

    // A class added in one window appears in the other one.
    // Each annotator's undo history is their own, also after reopening; an undo leaves a sample
    // that someone else decided since as it is (and says so) instead of overwriting that decision.
    void undoIsPerAnnotator_data() { backends_data(); }
    void undoIsPerAnnotator()
    {
        const QString where = project();
        if (where.isEmpty())
            QSKIP("no PostgreSQL server: run through CTest (fixture 'postgres') or set LABELSCOPE_TEST_POSTGRES");
        QString error;
        auto ana = std::make_unique<ReviewSession>();
        ReviewSession ben;
        QVERIFY2(ana->open(where, &error), qPrintable(error));
        QVERIFY2(ben.open(where, &error), qPrintable(error));
        ana->setAnnotator(QStringLiteral("ana"));
        ben.setAnnotator(QStringLiteral("ben"));
        const int given1 = ana->row(ana->indexOf(1)).label, given2 = ana->row(ana->indexOf(2)).label;
        QVERIFY2(ana->decide({{1, (given1 + 1) % 3, false, QStringLiteral("relabel")}}, QStringLiteral("one"), &error), qPrintable(error));
        QVERIFY2(ana->decide({{2, (given2 + 1) % 3, false, QStringLiteral("relabel")}}, QStringLiteral("two"), &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(ben.row(ben.indexOf(2)).label == (given2 + 1) % 3, kArrivalMs);
        QVERIFY2(ben.decide({{2, (given2 + 2) % 3, false, QStringLiteral("relabel")}}, QStringLiteral("ben's"), &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(ana->row(ana->indexOf(2)).label == (given2 + 2) % 3, kArrivalMs);
        QCOMPARE(ana->undoStack()->count(), 2);
        QCOMPARE(ben.undoStack()->count(), 1);

        // Reopened, ana's history is hers alone (ben's batch is the last in the log).
        ana = std::make_unique<ReviewSession>();
        ana->setAnnotator(QStringLiteral("ana"));
        QVERIFY2(ana->open(where, &error), qPrintable(error));
        QCOMPARE(ana->undoStack()->count(), 2);
        QCOMPARE(ana->undoStack()->index(), 2);

        // Undoing her decision on sample 2 would overwrite ben's: it is left, and said so.
        QSignalSpy skipped(ana.get(), &ReviewSession::undoRedoSkipped);
        ana->undoStack()->undo();
        QCOMPARE(skipped.count(), 1);
        QCOMPARE(skipped.at(0).at(0).value<QVector<qint64>>(), QVector<qint64>{2});
        QCOMPARE(ana->row(ana->indexOf(2)).label, (given2 + 2) % 3);
        // Her decision on sample 1 is undone.
        ana->undoStack()->undo();
        QCOMPARE(ana->row(ana->indexOf(1)).label, given1);
        QCOMPARE(skipped.count(), 1);
        ProjectStore store;
        QVERIFY2(store.openExisting(where, &error), qPrintable(error));
        QCOMPARE(store.sample(2)->label, (given2 + 2) % 3);
        QCOMPARE(store.sample(1)->label, given1);
        QCOMPARE(store.events(1).back().annotator, QStringLiteral("ana"));
        QCOMPARE(store.events(1).back().reason, QStringLiteral("undo"));
        // ben can still take back his own.
        QTRY_VERIFY_WITH_TIMEOUT(ben.row(ben.indexOf(1)).label == given1, kArrivalMs);
        ben.undoStack()->undo();
        QCOMPARE(ben.row(ben.indexOf(2)).label, (given2 + 1) % 3);
    }

    void classesReachTheOtherWindow_data() { backends_data(); }
    void classesReachTheOtherWindow()
    {
        const QString where = project();
        if (where.isEmpty())
            QSKIP("no PostgreSQL server");
        ReviewSession ana, ben;
        QString error;
        QVERIFY2(ana.open(where, &error), qPrintable(error));
        QVERIFY2(ben.open(where, &error), qPrintable(error));
        QSignalSpy classes(&ben, &ReviewSession::classesChanged);
        QVERIFY2(ana.addClass(QStringLiteral("fish"), &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(ben.classes().contains(QStringLiteral("fish")), kArrivalMs);
        QVERIFY(classes.count() >= 1);
    }
};

QTEST_MAIN(TestTeamReview)
#include "tst_teamreview.moc"
