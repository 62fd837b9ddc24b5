// The labelling panel's evidence (issue 17, offscreen): the one-sentence reason in plain words,
// the nearest clear examples of the given and of the suggested class (FAISS over the run's
// embeddings, off the GUI thread), the engineering figures behind a closed "Details" section,
// and one suggested label that W — and P, its alias — accepts. With LABELSCOPE_SCREENSHOT_DIR
// set, the window with the evidence is saved there as review-evidence-1280x720.png.

#include "ui/uifixture.h"

#include "evidencepanel.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "labellingpanel.h"
#include "mainwindow.h"
#include "reviewsession.h"

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <functional>
#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

class TestEvidence final : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_file;
    std::unique_ptr<MainWindow> m_window;

    GalleryModel *model() const { return m_window->gallery()->model(); }
    QListView *view() const { return m_window->gallery()->view(); }
    LabellingPanel *panel() const { return m_window->panel(); }

    /// COUNT fixture samples; a second run copies the first run's scores, makes the samples
    /// with id > 12 easy, passes each score through EDIT, and stores embeddings on a line
    /// (sample k at (k, 0, 0, 0)), so that nearest means nearest id.
    void openProject(int count, const std::function<void(SampleScore &)> &edit = {})
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error, count);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        {
            ProjectStore store;
            QVERIFY(store.open(m_file, &error));
            RunRecord run;
            run.started = QDateTime::currentDateTimeUtc();
            run.finished = run.started;
            run.status = QStringLiteral("done");
            run.scores = store.scores(store.latestRun()->id);
            run.embeddingDim = 4;
            for (SampleScore &sc : run.scores) {
                if (sc.sampleId > 12)
                    sc.category = Category::Easy;
                if (edit)
                    edit(sc);
                run.embeddingIds.push_back(sc.sampleId);
                for (int d = 0; d < 4; ++d)
                    run.embeddings.push_back(d == 0 ? float(sc.sampleId) : 0.f);
            }
            QVERIFY2(store.saveRun(run, &error) > 0, qPrintable(error));
        }
        m_window = std::make_unique<MainWindow>();
        QVERIFY2(m_window->openProject(m_file, &error), qPrintable(error));
        m_window->resize(1280, 720);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        QComboBox *sort = m_window->gallery()->sortCombo();
        sort->setCurrentIndex(sort->findData(int(GalleryModel::SortOrder::Id)));
        view()->setFocus();
    }
    void select(qint64 id)
    {
        QVERIFY(m_window->gallery()->setCurrentSample(id));
        QCOMPARE(panel()->sampleId(), id);
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void cleanup()
    {
        m_window.reset();
        m_dir.reset();
    }

    void reasonInPlainWords()
    {
        FlagSignals in;
        in.category = Category::Hard;
        in.given = 0;
        in.givenName = QStringLiteral("T-shirt");
        in.suggested = 6;
        in.suggestedName = QStringLiteral("Shirt");
        in.suggestedProb = 0.93;
        in.dpScore = 0.7;
        in.wrongProbability = 0.87;
        in.neighbours = 10;
        in.neighboursAgreeing = 8;
        in.neighbourLabel = 6;
        in.neighbourName = QStringLiteral("Shirt");
        QCOMPARE(flagReason(in),
                 QStringLiteral("Flagged as likely wrong: the model predicts Shirt with 93% confidence; 8 of its "
                                "10 nearest neighbours are labelled Shirt; it stayed hard to fit through "
                                "training. Chance that the label is wrong: 87%."));
        // From a model that never saw the sample, flagged for a second look, no neighbours yet.
        in.category = Category::NeedReview;
        in.outOfSample = true;
        in.clIssue = true;
        in.dpScore = 0.1;
        in.neighbours = 0;
        QCOMPARE(flagReason(in), QStringLiteral("Flagged for a second look: a model that never saw this image "
                                                "predicts Shirt with 93% confidence. Chance that the label is "
                                                "wrong: 87%."));
        // Easy: the model agrees, the neighbours carry the same label.
        in.category = Category::Easy;
        in.clIssue = false;
        in.outOfSample = false;
        in.suggested = 0;
        in.suggestedName = in.givenName;
        in.suggestedProb = 0.97;
        in.wrongProbability = 0.01;
        in.neighbours = 10;
        in.neighboursAgreeing = 9;
        in.neighbourLabel = 0;
        in.neighbourName = in.givenName;
        QCOMPARE(flagReason(in), QStringLiteral("Not flagged: the model agrees with T-shirt (97% confident); 9 of "
                                                "its 10 nearest neighbours are labelled T-shirt too. Chance that "
                                                "the label is wrong: 1%."));
        // The model agrees, but hardly; a label flagged by the cross-check.
        in.category = Category::NeedReview;
        in.suggestedProb = 0.41;
        in.clIssue = true;
        in.neighbours = 0;
        in.wrongProbability = -1;
        QCOMPARE(flagReason(in), QStringLiteral("Flagged for a second look: the model agrees with T-shirt but is "
                                                "only 41% sure; models that never saw it doubt its label."));
        FlagSignals none;
        QCOMPARE(flagReason(none), QStringLiteral("Not scored: no analysis run covers this sample."));
    }

    void examplesAndReasonInThePanel()
    {
        // 24 samples; labels cycle 0, 1, 2; ids 1, 5, 7, 11 easy (fixture) and 13..24 easy.
        openProject(24);
        EvidencePanel *ev = panel()->evidencePanel();
        QVERIFY(ev->isVisible());
        select(2); // given dog (1), hard, predicted "bird, small" (2) without Confident Learning
        QTRY_VERIFY_WITH_TIMEOUT(!ev->isWaiting(), 20000);
        // Nearest easy samples given dog: 5, 11, 14, 17; given "bird, small": 15, 18, 21, 24
        // (3, 6, 9, 12 are not easy).
        QCOMPARE(ev->exampleIds(0), (QVector<qint64>{5, 11, 14, 17}));
        QCOMPARE(ev->exampleIds(1), (QVector<qint64>{15, 18, 21, 24}));
        QVERIFY(ev->exampleTitle(0)->text().contains(QStringLiteral("dog")));
        QVERIFY(ev->exampleTitle(1)->text().contains(QStringLiteral("bird, small")));
        for (qint64 id : {5, 11, 14, 17, 15, 18, 21, 24})
            QVERIFY2(ev->findChild<QToolButton *>(QStringLiteral("example%1").arg(id)), qPrintable(QString::number(id)));
        // Its 10 neighbours are ids 1, 3..11: labelled cat 1, 4, 7, 10 — four, the most common.
        QCOMPARE(ev->neighbourIds().size(), 10);
        QCOMPARE(ev->reasonLabel()->text(),
                 QStringLiteral("Flagged as likely wrong: the model predicts bird, small with 70% confidence; "
                                "4 of its 10 nearest neighbours are labelled cat; it stayed hard to fit through "
                                "training. Chance that the label is wrong: 90%."));
        const QByteArray shots = qgetenv("LABELSCOPE_SCREENSHOT_DIR");
        if (!shots.isEmpty()) {
            QTest::qWait(300); // thumbnails
            QVERIFY(m_window->grab().save(QDir(QString::fromLocal8Bit(shots)).filePath(QStringLiteral("review-evidence-1280x720.png"))));
        }
        // A click on an example opens it.
        ev->findChild<QToolButton *>(QStringLiteral("example5"))->click();
        QCOMPARE(panel()->sampleId(), qint64(5));
        // Sample 5 (given dog, easy, predicted dog): the suggested row is hidden.
        QTRY_VERIFY_WITH_TIMEOUT(!ev->isWaiting(), 20000);
        QVERIFY(ev->exampleIds(1).isEmpty());
        QVERIFY(ev->reasonLabel()->text().startsWith(QStringLiteral("Not flagged: the model agrees with dog")));
    }

    void noEmbeddingsSaysSo()
    {
        // The fixture's own run stored no embeddings: the sentence stays, no examples, no error box.
        m_dir = std::make_unique<QTemporaryDir>();
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error, 6);
        QVERIFY(!m_file.isEmpty());
        m_window = std::make_unique<MainWindow>();
        QVERIFY(m_window->openProject(m_file, &error));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        select(2);
        EvidencePanel *ev = panel()->evidencePanel();
        QTRY_VERIFY_WITH_TIMEOUT(!ev->isWaiting(), 20000);
        QVERIFY(ev->exampleIds(0).isEmpty());
        QVERIFY(ev->reasonLabel()->text().startsWith(QStringLiteral("Flagged as likely wrong: the model predicts "
                                                                    "bird, small with 70% confidence;")));
        auto *status = ev->findChild<QLabel *>(QStringLiteral("evidenceStatus"));
        QVERIFY(status && status->text().startsWith(QStringLiteral("No similar examples")));
        QVERIFY2(status->toolTip().contains(QStringLiteral("embeddings")), qPrintable(status->toolTip()));
        // The next sample asks again without rebuilding a failed index and answers at once.
        select(3);
        QVERIFY(!ev->isWaiting());
    }

    void engineeringDetailsCollapsed()
    {
        openProject(6);
        select(2);
        QWidget *details = panel()->detailsSection();
        QVERIFY(!details->isVisible());
        // What an annotator reads: no σ, temperature or "Keep given".
        const QList<QLabel *> labels = panel()->findChildren<QLabel *>();
        for (QLabel *l : labels)
            if (l->isVisible())
                QVERIFY2(!l->text().contains(QStringLiteral("σ")) && !l->text().contains(QStringLiteral("temperature")),
                         qPrintable(l->text()));
        QCOMPARE(panel()->keepButton()->text(), QStringLiteral("Keep label (K)"));
        panel()->detailsButton()->click();
        QVERIFY(details->isVisible());
        bool sigmaShown = false;
        for (QLabel *l : details->findChildren<QLabel *>())
            sigmaShown = sigmaShown || (l->isVisible() && l->text().contains(QStringLiteral("σ = ")));
        QVERIFY(sigmaShown);
        panel()->detailsButton()->click();
        QVERIFY(!details->isVisible());
    }

    void oneSuggestedLabelForWAndP()
    {
        // Sample 3: the final model predicts "bird, small" (2), Confident Learning suggests cat (0).
        // Sample 6: the final model predicts cat (0), Confident Learning suggests dog (1).
        openProject(6, [](SampleScore &sc) {
            if (sc.sampleId == 3) {
                sc.suggestedLabel = 0;
                sc.suggestedProb = 0.8f;
            } else if (sc.sampleId == 6) {
                sc.suggestedLabel = 1;
                sc.suggestedProb = 0.75f;
            }
        });
        select(3);
        QVERIFY2(panel()->suggestedLabelField()->text().contains(QStringLiteral("<b>cat</b>")),
                 qPrintable(panel()->suggestedLabelField()->text()));
        QVERIFY(panel()->suggestedLabelField()->text().contains(QStringLiteral("80%")));
        auto *cat = panel()->findChild<QPushButton *>(QStringLiteral("classButton0"));
        auto *bird = panel()->findChild<QPushButton *>(QStringLiteral("classButton2"));
        QVERIFY(cat->text().contains(QStringLiteral("suggested")));
        QVERIFY2(!bird->text().contains(QStringLiteral("suggested")), qPrintable(bird->text()));
        // P is W's alias: both write the suggested label, not the final model's prediction.
        QTest::keyClick(view(), Qt::Key_P);
        QCOMPARE(m_window->session()->row(m_window->session()->indexOf(3)).label, 0);
        select(6);
        QTest::keyClick(view(), Qt::Key_W);
        QCOMPARE(m_window->session()->row(m_window->session()->indexOf(6)).label, 1);
        ProjectStore store;
        QVERIFY(store.open(m_file));
        QCOMPARE(store.sample(3)->label, 0);
        QCOMPARE(store.sample(6)->label, 1);
        // One menu entry, two keys.
        auto *action = m_window->findChild<QAction *>(QStringLiteral("acceptSuggestionAction"));
        QVERIFY(action);
        QCOMPARE(action->shortcuts().size(), 2);
        QCOMPARE(action->shortcuts().at(0), QKeySequence(Qt::Key_W));
        QCOMPARE(action->shortcuts().at(1), QKeySequence(Qt::Key_P));
    }
};

QTEST_MAIN(TestEvidence)
#include "tst_evidence.moc"
