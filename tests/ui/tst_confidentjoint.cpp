// GUI tests of the Confident Learning parts of the review window (offscreen): the labelling
// panel shows the suggested label and W accepts it (written to the database, shown in the
// gallery, next sample opened, undoable); the confident-joint view shows the run's joint and
// noise rates, and a click on a cell filters the gallery to exactly the samples with that given
// and suggested label.

#include "ui/uifixture.h"

#include "confidentjointview.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "labellingpanel.h"
#include "mainwindow.h"
#include "overlappingclassesview.h"
#include "reviewsession.h"
#include "scatterpanel.h"
#include "scatterview.h"

#include "base/confidentlearning.h"
#include "base/projectstore.h"

#include <QComboBox>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QScrollArea>
#include <QSet>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>
#include <QToolButton>

#include <cmath>
#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

class TestConfidentJoint final : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_file;
    std::unique_ptr<MainWindow> m_window;

    GalleryModel *model() const { return m_window->gallery()->model(); }
    QListView *view() const { return m_window->gallery()->view(); }

    static std::optional<SampleRow> dbSample(const QString &file, qint64 id)
    {
        ProjectStore s;
        if (!s.open(file))
            return std::nullopt;
        return s.sample(id);
    }
    static std::vector<LabelEvent> dbEvents(const QString &file, qint64 id = -1)
    {
        ProjectStore s;
        if (!s.open(file))
            return {};
        return s.events(id);
    }

    /// A fixture of COUNT train samples, optionally with a Confident Learning run, opened.
    void openProject(int count, bool clRun, bool summaryJoint = true, bool predFitsGiven = false, bool layout = false)
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error, count);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        if (clRun)
            QVERIFY2(testing::addConfidentLearningRun(m_file, &error, summaryJoint, predFitsGiven) > 0, qPrintable(error));
        if (layout) { // a scatter layout of the latest run: sample id i at (i, i % 3)
            ProjectStore store;
            QVERIFY2(store.open(m_file, &error), qPrintable(error));
            const auto run = store.latestRun();
            QVERIFY(run);
            Layout l;
            l.kind = QStringLiteral("embedding");
            for (qint64 id = 1; id <= count; ++id) {
                l.sampleIds.push_back(id);
                l.xy.insert(l.xy.end(), {float(id), float(id % 3)});
            }
            QVERIFY2(store.saveLayout(run->id, l, &error), qPrintable(error));
        }
        m_window = std::make_unique<MainWindow>();
        QVERIFY2(m_window->openProject(m_file, &error), qPrintable(error));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        view()->setFocus();
    }
    void sortById()
    {
        QComboBox *sort = m_window->gallery()->sortCombo();
        sort->setCurrentIndex(sort->findData(int(GalleryModel::SortOrder::Id)));
        QCOMPARE(model()->sampleIdAt(0), qint64(1));
    }
    void selectRow(int row)
    {
        view()->selectionModel()->setCurrentIndex(model()->index(row), QItemSelectionModel::ClearAndSelect);
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void cleanup()
    {
        m_window.reset();
        m_dir.reset();
    }

    void panelShowsSuggestion()
    {
        openProject(6, true);
        sortById();
        selectRow(1); // id 2: given dog, suggested "bird, small" 0.80, flagged
        QCOMPARE(m_window->panel()->sampleId(), qint64(2));
        const QString text = m_window->panel()->suggestedLabelField()->text();
        QVERIFY2(text.contains(QStringLiteral("bird, small")) && text.contains(QStringLiteral("80%"))
                     && text.contains(QStringLiteral("flagged")),
                 qPrintable(text));
        QVERIFY(m_window->panel()->acceptSuggestionButton()->isEnabled());
        // The class button of the suggestion is marked.
        auto *b = m_window->panel()->findChild<QPushButton *>(QStringLiteral("classButton2"));
        QVERIFY(b);
        QVERIFY2(b->text().contains(QStringLiteral("suggested")), qPrintable(b->text()));
    }

    void wAcceptsSuggestionAndUndo()
    {
        openProject(6, true);
        sortById();
        selectRow(1); // id 2: given 1, suggested 2
        const std::size_t before = dbEvents(m_file).size();

        QTest::keyClick(view(), Qt::Key_W);

        // In the database, through another connection.
        std::optional<SampleRow> row = dbSample(m_file, 2);
        QVERIFY(row);
        QCOMPARE(row->label, 2);
        QCOMPARE(row->givenLabel, 1);
        std::vector<LabelEvent> events = dbEvents(m_file);
        QCOMPARE(events.size(), before + 1);
        QCOMPARE(events.back().sampleId, qint64(2));
        QCOMPARE(events.back().reason, QStringLiteral("relabel"));
        QCOMPARE(events.back().oldLabel, 1);
        QCOMPARE(events.back().newLabel, 2);
        // In the gallery.
        const QModelIndex idx = model()->index(1);
        QCOMPARE(idx.data(GalleryModel::SampleIdRole).toLongLong(), qint64(2));
        QCOMPARE(idx.data(GalleryModel::LabelRole).toInt(), 2);
        QVERIFY(idx.data(GalleryModel::RelabelledRole).toBool());
        QVERIFY(idx.data(GalleryModel::CaptionRole).toString().startsWith(QStringLiteral("bird, small")));
        // The next sample opened by itself.
        QCOMPARE(m_window->panel()->sampleId(), qint64(3));

        // W on a sample whose suggestion is its given label records an "accept".
        QTest::keyClick(view(), Qt::Key_W); // id 3: given 2, suggested 2
        QCOMPARE(dbSample(m_file, 3)->label, 2);
        QCOMPARE(dbEvents(m_file, 3).back().reason, QStringLiteral("accept"));
        QCOMPARE(m_window->panel()->sampleId(), qint64(4));

        // Ctrl+Z twice: back to the given label of id 2, with "undo" events.
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier);
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier);
        row = dbSample(m_file, 2);
        QCOMPARE(row->label, 1);
        events = dbEvents(m_file);
        QCOMPARE(events.size(), before + 4);
        QCOMPARE(events.back().reason, QStringLiteral("undo"));
        QCOMPARE(model()->index(1).data(GalleryModel::LabelRole).toInt(), 1);
        QVERIFY(!model()->index(1).data(GalleryModel::RelabelledRole).toBool());
        QCOMPARE(m_window->panel()->sampleId(), qint64(2));
    }

    void wWithoutConfidentLearningAcceptsPrediction()
    {
        // One suggested label: without Confident Learning it is the final model's prediction,
        // and W (like P) accepts it.
        openProject(6, false); // a run without Confident Learning
        sortById();
        selectRow(1); // id 2: given 1, predicted 2
        QVERIFY(m_window->panel()->acceptSuggestionButton()->isEnabled());
        const QString text = m_window->panel()->suggestedLabelField()->text();
        QVERIFY2(text.contains(QStringLiteral("no Confident Learning")) && text.contains(QStringLiteral("bird, small")),
                 qPrintable(text));
        const std::size_t before = dbEvents(m_file).size();
        QTest::keyClick(view(), Qt::Key_W);
        QCOMPARE(dbEvents(m_file).size(), before + 1);
        QCOMPARE(dbSample(m_file, 2)->label, 2);
        // The joint view says why it is empty.
        QVERIFY(!m_window->confidentJoint()->hasJoint());
        QVERIFY2(m_window->confidentJoint()->message().contains(QStringLiteral("no Confident Learning")),
                 qPrintable(m_window->confidentJoint()->message()));
    }

    void flaggedStateFilterAndToolTip()
    {
        openProject(6, true);
        QComboBox *state = m_window->gallery()->stateCombo();
        const int at = state->findData(int(GalleryModel::StateFilter::Flagged));
        QVERIFY(at >= 0);
        state->setCurrentIndex(at);
        QSet<qint64> shown;
        for (int r = 0; r < model()->rowCount(); ++r)
            shown.insert(model()->sampleIdAt(r));
        QCOMPARE(shown, QSet<qint64>({2, 4, 6}));
        const QString tip = model()->indexOfSample(4).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("Suggested: dog (85.0%)")) && tip.contains(QStringLiteral("flagged")),
                 qPrintable(tip));
    }

    // "Model disagrees" asks the out-of-sample model: the in-sample models here agree with every
    // given label, the suggestions differ for ids 2, 4 and 6.
    void disagreesFollowsTheOutOfSampleSuggestion()
    {
        openProject(6, true, true, true);
        QComboBox *state = m_window->gallery()->stateCombo();
        state->setCurrentIndex(state->findData(int(GalleryModel::StateFilter::Disagrees)));
        QSet<qint64> shown;
        for (int r = 0; r < model()->rowCount(); ++r)
            shown.insert(model()->sampleIdAt(r));
        QCOMPARE(shown, QSet<qint64>({2, 4, 6}));
    }

    // The scatter's disagreement colour asks the same question as "Model disagrees": does the
    // suggestion differ from the label as it stands? Accepting a suggestion turns the point.
    void scatterDisagreementFollowsTheLabel()
    {
        openProject(6, true, true, true, true);
        ScatterPanel *panel = m_window->scatter();
        QVERIFY(panel->hasLayout());
        panel->setColorBy(ScatterPanel::ColorBy::Disagreement);
        const auto colourOf = [&](qint64 id) { return panel->view()->colorAt(panel->pointOfSample(id)); };
        const std::uint32_t disagree = colourOf(2), agree = colourOf(1);
        QVERIFY(disagree != agree);
        QCOMPARE(colourOf(4), disagree);
        QCOMPARE(colourOf(3), agree);
        sortById();
        selectRow(1); // id 2
        const int suggested = m_window->session()->suggestion(m_window->session()->indexOf(2));
        QTest::keyClick(view(), Qt::Key_W);
        QCOMPARE(dbSample(m_file, 2)->label, suggested);
        QCOMPARE(colourOf(2), agree);
        QCOMPARE(colourOf(4), disagree);
        QComboBox *state = m_window->gallery()->stateCombo();
        state->setCurrentIndex(state->findData(int(GalleryModel::StateFilter::Disagrees)));
        QSet<qint64> shown;
        for (int r = 0; r < model()->rowCount(); ++r)
            shown.insert(model()->sampleIdAt(r));
        QCOMPARE(shown, QSet<qint64>({4, 6}));
    }

    void jointViewShowsRunJoint()
    {
        openProject(6, true);
        ConfidentJointView *v = m_window->confidentJoint();
        QVERIFY(v->hasJoint());
        QCOMPARE(v->source(), QStringLiteral("summary"));
        QCOMPARE(v->classCount(), 3);
        const std::vector<qint64> joint = testing::fixtureConfidentJoint();
        for (int g = 0; g < 3; ++g)
            for (int t = 0; t < 3; ++t)
                QCOMPARE(v->count(g, t), joint[std::size_t(g * 3 + t)]);
        // Noise rate = off-diagonal share of the row: 2/6, 1/4, 1/6.
        QVERIFY(std::abs(v->noiseRate(0) - 2.0 / 6.0) < 1e-12);
        QVERIFY(std::abs(v->noiseRate(1) - 1.0 / 4.0) < 1e-12);
        QVERIFY(std::abs(v->noiseRate(2) - 1.0 / 6.0) < 1e-12);
        // Given × suggested sample counts of the run: id 4 is given 0, suggested 1.
        QCOMPARE(v->pairCount(0, 1), qint64(1));
        QCOMPARE(v->pairCount(1, 1), qint64(1));
        QCOMPARE(v->pairCount(1, 0), qint64(0));
    }

    void cellClickFiltersGallery_data()
    {
        QTest::addColumn<int>("given");
        QTest::addColumn<int>("suggested");
        QTest::newRow("off-diagonal 0->1") << 0 << 1;
        QTest::newRow("off-diagonal 1->2") << 1 << 2;
        QTest::newRow("diagonal 1") << 1 << 1;
        QTest::newRow("empty 1->0") << 1 << 0;
    }

    void cellClickFiltersGallery()
    {
        QFETCH(int, given);
        QFETCH(int, suggested);
        openProject(18, true);
        ReviewSession *session = m_window->session();
        // Some filters set before the click must not hide samples of the cell.
        QComboBox *cls = m_window->gallery()->classCombo();
        cls->setCurrentIndex(cls->findData(2));
        // Expected: every sample with this given label and this suggested label.
        QSet<qint64> expected;
        for (int i = 0; i < session->count(); ++i) {
            const SampleScore *s = session->score(i);
            if (s && session->row(i).givenLabel == given && s->suggestedLabel == suggested)
                expected.insert(session->row(i).id);
        }
        QWidget *tab = m_window->confidentJoint(); // the tab that holds the heat map
        while (tab && m_window->tabs()->indexOf(tab) < 0)
            tab = tab->parentWidget();
        QVERIFY(tab);
        m_window->tabs()->setCurrentWidget(tab);
        ConfidentJointView *v = m_window->confidentJoint();
        QTRY_VERIFY(v->isVisible());
        const QRect cell = v->cellRect(given, suggested);
        QVERIFY(!cell.isEmpty());
        QTest::mouseClick(v, Qt::LeftButton, Qt::NoModifier, cell.center());

        QCOMPARE(m_window->tabs()->currentWidget(), static_cast<QWidget *>(m_window->gallery()));
        QSet<qint64> shown;
        for (int r = 0; r < model()->rowCount(); ++r)
            shown.insert(model()->sampleIdAt(r));
        QCOMPARE(shown, expected);
        QCOMPARE(qint64(shown.size()), v->pairCount(given, suggested));
        QCOMPARE(m_window->gallery()->countLabel()->text(),
                 QStringLiteral("Showing %1 of 18").arg(expected.size()));
        QToolButton *pair = m_window->gallery()->pairButton();
        QVERIFY(pair->isVisible());
        if (!expected.isEmpty()) {
            QCOMPARE(m_window->panel()->sampleId(), model()->sampleIdAt(0));
        }

        // The button clears the cell filter.
        pair->click();
        QVERIFY(!pair->isVisible());
        QCOMPARE(model()->rowCount(), 18);
    }

    void cellNumbersAgreeWithGallery()
    {
        // Issue 17: a cell said 395 (the confident joint) while its gallery filter showed 723
        // (every sample given g whose suggested label is t). The printed number is now the
        // gallery's, whatever filters were set before, with test samples and an excluded one.
        m_dir = std::make_unique<QTemporaryDir>();
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error, 18, true, /*testCount=*/6);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        QVERIFY2(testing::addConfidentLearningRun(m_file, &error) > 0, qPrintable(error));
        m_window = std::make_unique<MainWindow>();
        QVERIFY2(m_window->openProject(m_file, &error), qPrintable(error));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        view()->setFocus();
        sortById();
        selectRow(3); // id 4: given 0, suggested 1
        QTest::keyClick(view(), Qt::Key_X);
        QVERIFY(dbSample(m_file, 4)->excluded);
        ConfidentJointView *v = m_window->confidentJoint();
        QVERIFY(v->hasJoint());
        bool differsFromJoint = false;
        for (int g = 0; g < 3; ++g) {
            for (int t = 0; t < 3; ++t) {
                // Filters that would hide samples of the cell: a category, a ranking, a subset.
                GalleryWidget *gw = m_window->gallery();
                gw->categoryCombo()->setCurrentIndex(gw->categoryCombo()->findData(int(Category::Easy)));
                model()->setRanking({1, 2});
                Q_EMIT v->cellClicked(g, t);
                QCOMPARE(qint64(model()->rowCount()), v->pairCount(g, t));
                QCOMPARE(v->cellText(g, t), QLocale().toString(model()->rowCount()));
                QCOMPARE(gw->countLabel()->text(), QStringLiteral("Showing %1 of 24").arg(model()->rowCount()));
                QVERIFY(!model()->hasRanking());
                differsFromJoint = differsFromJoint || v->count(g, t) != v->pairCount(g, t);
            }
        }
        // The fixture's joint (4 2 0 / 0 3 1 / 1 0 5) is not the pair counts (3 3 0 / 0 3 3 / 3 0 3).
        QVERIFY(differsFromJoint);
        QCOMPARE(v->pairCount(0, 1), qint64(3)); // ids 4 (excluded), 10, 16
    }

    void decisionInCellKeepsFilterAndMovesOn()
    {
        openProject(18, true);
        m_window->gallery()->showPair(0, 1); // ids 4, 10, 16
        QCOMPARE(model()->rowCount(), 3);
        const qint64 first = model()->sampleIdAt(0);
        m_window->gallery()->setCurrentSample(first);
        QTest::keyClick(view(), Qt::Key_W);
        QCOMPARE(dbSample(m_file, first)->label, 1);
        // The cell is defined on the given label: the fixed sample stays, marked relabelled.
        QCOMPARE(model()->rowCount(), 3);
        QVERIFY(model()->index(0).data(GalleryModel::RelabelledRole).toBool());
        QCOMPARE(m_window->panel()->sampleId(), model()->sampleIdAt(1));
    }

    // Beside the heat map: its pairs as a list (cleanlab's find_overlapping_classes on the
    // joint calibrated with the scored samples' given labels), and a pair opens in the gallery.
    void overlappingClassesListTheJointsPairs()
    {
        openProject(18, true);
        ConfidentJointView *v = m_window->confidentJoint();
        OverlappingClassesView *list = m_window->overlappingClasses();
        QVERIFY(v->hasJoint());
        ReviewSession *session = m_window->session();
        std::vector<int64_t> joint(9), counts(3, 0);
        for (int g = 0; g < 3; ++g)
            for (int t = 0; t < 3; ++t)
                joint[std::size_t(g * 3 + t)] = v->count(g, t);
        for (int i = 0; i < session->count(); ++i)
            if (session->score(i) && session->row(i).givenLabel >= 0)
                ++counts[std::size_t(session->row(i).givenLabel)];
        const std::vector<OverlappingClasses> expected = findOverlappingClasses(calibrateConfidentJoint(joint, counts), 3);
        QVERIFY(!expected.empty()); // the fixture's joint has off-diagonal counts
        QCOMPARE(list->pairs().size(), expected.size());
        QTableWidget *table = list->table();
        QCOMPARE(table->rowCount(), int(expected.size()));
        for (std::size_t r = 0; r < expected.size(); ++r) {
            QCOMPARE(list->pairs()[r].classA, expected[r].classA);
            QCOMPARE(list->pairs()[r].classB, expected[r].classB);
            QCOMPARE(list->pairs()[r].numOverlapping, expected[r].numOverlapping);
            QCOMPARE(table->item(int(r), 0)->text(), session->classes()[expected[r].classA]);
            QCOMPARE(table->item(int(r), 1)->text(), session->classes()[expected[r].classB]);
        }
        // Activating the first pair shows its larger direction in the gallery.
        const OverlappingClasses &top = expected.front();
        const bool reverse = v->pairCount(top.classB, top.classA) > v->pairCount(top.classA, top.classB);
        const int given = reverse ? top.classB : top.classA, suggested = reverse ? top.classA : top.classB;
        QSignalSpy activated(list, &OverlappingClassesView::pairActivated);
        Q_EMIT table->cellActivated(0, 0);
        QCOMPARE(activated.size(), 1);
        QCOMPARE(activated.at(0).at(0).toInt(), given);
        QCOMPARE(activated.at(0).at(1).toInt(), suggested);
        QCOMPARE(m_window->tabs()->currentWidget(), static_cast<QWidget *>(m_window->gallery()));
        QCOMPARE(qint64(model()->rowCount()), v->pairCount(given, suggested));
    }

    void jointRecomputedFromPredProbs()
    {
        openProject(12, true, /*summaryJoint=*/false);
        ConfidentJointView *v = m_window->confidentJoint();
        QVERIFY2(v->hasJoint(), qPrintable(v->message()));
        QCOMPARE(v->source(), QStringLiteral("pred_probs"));
        // The same as findLabelIssues on the stored pred_probs and the given labels.
        ProjectStore store;
        QVERIFY(store.open(m_file));
        OutOfSamplePredProbs oos;
        QVERIFY(store.outOfSamplePredProbs(store.latestRun()->id, &oos));
        std::vector<int> labels;
        std::vector<double> probs;
        for (std::size_t i = 0; i < oos.sampleIds.size(); ++i) {
            labels.push_back(store.sample(oos.sampleIds[i])->givenLabel);
            double sum = 0;
            for (int c = 0; c < 3; ++c)
                sum += double(oos.probs[i * 3 + std::size_t(c)]);
            for (int c = 0; c < 3; ++c)
                probs.push_back(double(oos.probs[i * 3 + std::size_t(c)]) / sum);
        }
        const LabelIssuesResult res = findLabelIssues(labels, probs, 3);
        QVERIFY2(res.ok(), qPrintable(res.error));
        for (int g = 0; g < 3; ++g)
            for (int t = 0; t < 3; ++t)
                QCOMPARE(v->count(g, t), qint64(res.confidentJoint[std::size_t(g * 3 + t)]));
    }
};

QTEST_MAIN(TestConfidentJoint)
#include "tst_confidentjoint.moc"
