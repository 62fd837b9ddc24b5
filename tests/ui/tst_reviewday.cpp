// GUI tests (offscreen) of what a whole review day needs (issue 17): a bulk decision above the
// threshold asks first with the count per current class (and cancelling writes nothing), bulk
// undo is one step; review progress in the status bar, the "Unreviewed" filter, the mark on
// kept tiles, the session summary and its estimate.

#include "ui/uifixture.h"

#include "exporter.h"
#include "exportrunner.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "mainwindow.h"
#include "reviewprogresswidget.h"
#include "reviewsession.h"
#include "reviewstats.h"

#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QListView>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUndoStack>

#include <functional>
#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

namespace {
/// Answers the next modal message box (polling until it shows): records its texts and clicks
/// the button named BUTTON ("bulkApply") or Cancel.
struct ModalAnswer {
    QObject context; // its timers die with it
    bool seen = false;
    QString text, informative;
    void arm(const QString &button)
    {
        QTimer::singleShot(10, &context, [this, button] { poll(button, 0); });
    }
    void poll(const QString &button, int tries)
    {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box) {
            if (tries < 300)
                QTimer::singleShot(10, &context, [this, button, tries] { poll(button, tries + 1); });
            return;
        }
        seen = true;
        text = box->text();
        informative = box->informativeText();
        QAbstractButton *b = button.isEmpty() ? box->button(QMessageBox::Cancel)
                                              : box->findChild<QPushButton *>(button);
        if (b)
            b->click();
        else
            box->reject();
    }
};
} // namespace

class TestReviewDay : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_file;
    std::unique_ptr<MainWindow> m_window;

    GalleryModel *model() const { return m_window->gallery()->model(); }
    QListView *view() const { return m_window->gallery()->view(); }
    ReviewSession *session() const { return m_window->session(); }

    void openFixture(int count)
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error, count);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        m_window = std::make_unique<MainWindow>();
        QVERIFY2(m_window->openProject(m_file, &error), qPrintable(error));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        QComboBox *sort = m_window->gallery()->sortCombo();
        sort->setCurrentIndex(sort->findData(int(GalleryModel::SortOrder::Id)));
        view()->setFocus();
    }
    static std::vector<LabelEvent> dbEvents(const QString &file)
    {
        ProjectStore s;
        return s.open(file) ? s.events() : std::vector<LabelEvent>{};
    }
    static std::vector<SampleRow> dbSamples(const QString &file)
    {
        ProjectStore s;
        return s.open(file) ? s.samples() : std::vector<SampleRow>{};
    }
    /// After a modal dialog the window must be active again for its shortcuts.
    void reactivate()
    {
        m_window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        view()->setFocus();
    }
    void setState(GalleryModel::StateFilter f)
    {
        QComboBox *c = m_window->gallery()->stateCombo();
        c->setCurrentIndex(c->findData(int(f)));
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void cleanup()
    {
        m_window.reset();
        m_dir.reset();
    }

    void bulkAboveThresholdAsks()
    {
        openFixture(60); // labels cycle cat, dog, "bird, small": 20 each
        m_window->setBulkConfirmThreshold(10);
        const std::size_t before = dbEvents(m_file).size();
        view()->selectAll();
        QCOMPARE(m_window->gallery()->selectedSampleIds().size(), 60);

        // Cancel: nothing is written.
        ModalAnswer cancel;
        cancel.arm(QString());
        QTest::keyClick(view(), Qt::Key_2); // dog
        QVERIFY(cancel.seen);
        QCOMPARE(cancel.text, QStringLiteral("Relabel 60 samples as dog?"));
        QVERIFY2(cancel.informative.contains(QStringLiteral("cat 20, dog 20, bird, small 20")),
                 qPrintable(cancel.informative));
        QCOMPARE(dbEvents(m_file).size(), before);
        QCOMPARE(session()->undoStack()->count(), 0);
        reactivate();

        // Apply: one batch, one undo step.
        ModalAnswer apply;
        apply.arm(QStringLiteral("bulkApply"));
        QTest::keyClick(view(), Qt::Key_2);
        QVERIFY(apply.seen);
        reactivate();
        for (const SampleRow &r : dbSamples(m_file))
            QCOMPARE(r.label, 1);
        QCOMPARE(dbEvents(m_file).size(), before + 60);
        QCOMPARE(session()->undoStack()->count(), 1);
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier);
        int dogs = 0;
        for (const SampleRow &r : dbSamples(m_file)) {
            QCOMPARE(r.label, r.givenLabel);
            dogs += r.label == 1;
        }
        QCOMPARE(dogs, 20);

        // Exclusion asks too, with the excluded ones named; at or below the threshold nothing asks.
        ModalAnswer excl;
        excl.arm(QString());
        QTest::keyClick(view(), Qt::Key_X);
        QVERIFY(excl.seen);
        QCOMPARE(excl.text, QStringLiteral("Exclude 60 samples from the cleaned dataset?"));
        reactivate();
        view()->clearSelection();
        for (int r = 0; r < 10; ++r)
            view()->selectionModel()->select(model()->index(r), QItemSelectionModel::Select);
        ModalAnswer none;
        none.arm(QString());
        QTest::keyClick(view(), Qt::Key_3);
        QTest::qWait(50);
        QVERIFY(!none.seen);
        QCOMPARE(dbEvents(m_file).size(), before + 60 + 60 + 10);
    }

    void bulkQuestionCountsPerClass()
    {
        openFixture(6);
        std::vector<Decision> ds;
        for (qint64 id : {1, 2, 4, 5, 6}) // cat, dog, cat, dog, bird
            ds.push_back({id, 2, false, QStringLiteral("relabel")});
        QString details;
        QCOMPARE(m_window->bulkQuestion(MainWindow::DecisionKind::Relabel, 2, ds, &details),
                 QStringLiteral("Relabel 5 samples as bird, small?"));
        QVERIFY2(details.startsWith(QStringLiteral("Their current classes: cat 2, dog 2, bird, small 1.")),
                 qPrintable(details));
    }

    void progressUnreviewedAndKeptMark()
    {
        openFixture(6); // to review: 2 (dog, hard), 3 (bird, need review), 4 (cat, hard), 6 (bird, need review)
        ReviewProgressBar *progress = m_window->reviewProgress();
        QVERIFY(progress->isVisible());
        QCOMPARE(progress->bar()->maximum(), 4);
        QCOMPARE(progress->bar()->value(), 0);
        QCOMPARE(progress->text()->text(),
                 QStringLiteral("Reviewed 0 / 4 \u2014 hard 0/2, need review 0/2 \u2014 4 left"));
        setState(GalleryModel::StateFilter::Unreviewed);
        QCOMPARE(model()->rowCount(), 6);

        QVERIFY(m_window->gallery()->setCurrentSample(2));
        QTest::keyClick(view(), Qt::Key_K); // keep id 2
        QCOMPARE(model()->rowCount(), 5);
        QCOMPARE(model()->rowOfSample(2), -1);
        QCOMPARE(progress->bar()->value(), 1);
        QCOMPARE(progress->text()->text(),
                 QStringLiteral("Reviewed 1 / 4 \u2014 hard 1/2, need review 0/2 \u2014 3 left"));
        QVERIFY2(progress->toolTip().contains(QStringLiteral("dog</td><td align=right>1 / 1")),
                 qPrintable(progress->toolTip()));
        QCOMPARE(m_window->gallery()->countLabel()->text(), QStringLiteral("Showing 5 of 6"));
        setState(GalleryModel::StateFilter::Reviewed);
        QCOMPARE(model()->rowCount(), 1);
        QVERIFY(model()->index(0).data(GalleryModel::KeptRole).toBool());
        QVERIFY(model()->index(0).data(GalleryModel::ReviewedRole).toBool());

        // Undo: back to unreviewed, no mark.
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(model()->rowCount(), 0);
        QCOMPARE(progress->bar()->value(), 0);
        setState(GalleryModel::StateFilter::All);
        QVERIFY(!model()->indexOfSample(2).data(GalleryModel::KeptRole).toBool());
        // A relabel is reviewed but not kept.
        QVERIFY(m_window->gallery()->setCurrentSample(4));
        QTest::keyClick(view(), Qt::Key_2);
        QVERIFY(model()->indexOfSample(4).data(GalleryModel::ReviewedRole).toBool());
        QVERIFY(!model()->indexOfSample(4).data(GalleryModel::KeptRole).toBool());
    }

    void sessionSummaryAndEstimate()
    {
        openFixture(6);
        QVERIFY(m_window->gallery()->setCurrentSample(4));
        QTest::keyClick(view(), Qt::Key_2); // hard id 4: cat → dog
        QVERIFY(m_window->gallery()->setCurrentSample(3));
        QTest::keyClick(view(), Qt::Key_X); // need-review id 3 excluded
        const SessionSummary s =
            summarizeSession(*session(), session()->store()->decisionBatches(), session()->openedAt(), 10);
        QCOMPARE(s.decisions, qint64(2));
        QCOMPARE(s.progress.reviewed, qint64(2));
        QCOMPARE(s.bins.size(), std::size_t(1)); // 4 to review, bins of 50
        QCOMPARE(s.bins[0].reviewed, qint64(2));
        QCOMPARE(s.bins[0].relabelled, qint64(1));
        QCOMPARE(s.bins[0].excluded, qint64(1));
        // The next unreviewed: ids 2 (noise 0.9) and 6 (0.45); the run has no DP score, so P(wrong)
        // is the noise score (exact sums of two floats: 1e-6 covers their rounding).
        QCOMPARE(s.nextAvailable, qint64(2));
        QVERIFY(std::abs(s.expectedWrongModel - 1.35) < 1e-6);
        QCOMPARE(s.observedChangeRate, 1.0);
        QCOMPARE(s.expectedWrongObserved, 2.0);

        // The dialog (Ctrl+I) shows it.
        QTest::keyClick(view(), Qt::Key_I, Qt::ControlModifier);
        SessionSummaryDialog *dlg = m_window->sessionSummary();
        QVERIFY(dlg && dlg->isVisible());
        const QString body = dlg->body()->text();
        QVERIFY2(body.contains(QStringLiteral("Reviewed 2 of 4")), qPrintable(body));
        QVERIFY2(body.contains(QStringLiteral("about <b>1.3 wrong labels</b>")), qPrintable(body));
    }

    // The CSV export names each row's split (issue 17: test rows were indistinguishable).
    void csvHasSplitColumn()
    {
        QTemporaryDir dir;
        QString error;
        const QString file = testing::makeFixtureProject(dir.path(), &error, 6, true, 2); // ids 7, 8: test
        QVERIFY2(!file.isEmpty(), qPrintable(error));
        ReviewSession s;
        QVERIFY2(s.open(file, &error), qPrintable(error));
        const QString csv = dir.filePath(QStringLiteral("out.csv"));
        const ExportResult r = exportCsv(exportSnapshot(s), csv);
        QVERIFY2(r.ok, qPrintable(r.error));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 9);
        QVERIFY(lines[0].endsWith(QStringLiteral(",split")));
        for (int i = 1; i <= 6; ++i)
            QVERIFY2(lines[i].endsWith(QStringLiteral(",train")), qPrintable(lines[i]));
        QVERIFY2(lines[7].endsWith(QStringLiteral(",unknown,0,0,test")), qPrintable(lines[7]));
        QVERIFY(lines[8].endsWith(QStringLiteral(",test")));
    }

    void paceSkipsBreaks()
    {
        openFixture(6);
        const QDateTime t0(QDate(2026, 1, 5), QTime(9, 0), Qt::UTC);
        auto batch = [&](int seconds, int events, const char *reason) {
            DecisionBatch b;
            b.time = t0.addSecs(seconds);
            b.reason = QString::fromLatin1(reason);
            b.events.resize(std::size_t(events));
            return b;
        };
        // 60 s, 60 s, then a 50-minute break (counted as 300 s); the undo is not a decision, and
        // the batch before SINCE is not this session's.
        const std::vector<DecisionBatch> batches = {batch(-7200, 4, "relabel"), batch(0, 1, "relabel"),
                                                    batch(60, 10, "relabel"), batch(90, 1, "undo"),
                                                    batch(120, 1, "accept"), batch(3120, 1, "exclude")};
        const SessionSummary s = summarizeSession(*session(), batches, t0, 10);
        QCOMPARE(s.decisions, qint64(13));
        QCOMPARE(s.activeSeconds, 420.0);
        QCOMPARE(s.decisionsPerHour, 13.0 / (420.0 / 3600.0));
    }
};

QTEST_MAIN(TestReviewDay)
#include "tst_reviewday.moc"
