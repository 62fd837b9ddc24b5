// GUI tests (offscreen) of the gallery's one visible view state (issue 17): every active filter
// is a chip that clears it, "Clear all" clears everything, "Show only selected" keeps just the
// selection, and the Sort box names the order in use while a ranking decides it.

#include "ui/uifixture.h"

#include "gallerymodel.h"
#include "gallerywidget.h"
#include "mainwindow.h"
#include "reviewsession.h"

#include <QComboBox>
#include <QLabel>
#include <QListView>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

class TestViewState : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<MainWindow> m_window;

    GalleryWidget *gallery() const { return m_window->gallery(); }
    GalleryModel *model() const { return gallery()->model(); }
    static void choose(QComboBox *c, int data) { c->setCurrentIndex(c->findData(data)); }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QString error;
        const QString file = testing::makeFixtureProject(m_dir->path(), &error);
        QVERIFY2(!file.isEmpty(), qPrintable(error));
        m_window = std::make_unique<MainWindow>();
        QVERIFY2(m_window->openProject(file, &error), qPrintable(error));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    }

    void cleanup()
    {
        m_window.reset();
        m_dir.reset();
    }

    void chipsForEveryFilterAndClearAll()
    {
        QVERIFY(!gallery()->chipsBar()->isVisible());
        choose(gallery()->classCombo(), 1);                                 // dog: ids 2, 5
        choose(gallery()->categoryCombo(), int(Category::Hard));            // id 2
        choose(gallery()->stateCombo(), int(GalleryModel::StateFilter::Unreviewed));
        QVERIFY(gallery()->chipsBar()->isVisible());
        QCOMPARE(model()->rowCount(), 1);
        QCOMPARE(gallery()->countLabel()->text(), QStringLiteral("Showing 1 of 6"));
        QVERIFY(gallery()->chip(QStringLiteral("class")));
        QVERIFY(gallery()->chip(QStringLiteral("class"))->text().startsWith(QStringLiteral("Class: dog")));
        QVERIFY(gallery()->chip(QStringLiteral("category"))->text().startsWith(QStringLiteral("Category: Hard")));
        QVERIFY(gallery()->chip(QStringLiteral("state"))->text().startsWith(QStringLiteral("State: Unreviewed")));

        // One chip clears its filter only.
        gallery()->chip(QStringLiteral("category"))->click();
        QTRY_COMPARE(model()->rowCount(), 2);
        QCOMPARE(gallery()->categoryCombo()->currentIndex(), 0);
        QVERIFY(!gallery()->chip(QStringLiteral("category")));
        QVERIFY(gallery()->chip(QStringLiteral("class")));

        // A confident-joint cell is a chip too; "Clear all" ends everything.
        gallery()->showPair(0, 1);
        QVERIFY(gallery()->chip(QStringLiteral("pair")));
        gallery()->clearAllButton()->click();
        QCOMPARE(model()->rowCount(), 6);
        QCOMPARE(gallery()->countLabel()->text(), QStringLiteral("Showing 6 of 6"));
        QVERIFY(!gallery()->chipsBar()->isVisible());
        QVERIFY(!gallery()->chip(QStringLiteral("pair")));
        QCOMPARE(gallery()->classCombo()->currentIndex(), 0);
        QCOMPARE(gallery()->stateCombo()->currentIndex(), 0);
    }

    void showOnlySelection()
    {
        QToolButton *only = gallery()->showOnlySelectionButton();
        QVERIFY(!only->isEnabled());
        QListView *view = gallery()->view();
        view->clearSelection();
        for (int r : {0, 2, 4})
            view->selectionModel()->select(model()->index(r), QItemSelectionModel::Select);
        QVERIFY(only->isEnabled());
        const QSet<qint64> picked{model()->sampleIdAt(0), model()->sampleIdAt(2), model()->sampleIdAt(4)};
        only->click();
        QCOMPARE(model()->rowCount(), 3);
        QSet<qint64> shown;
        for (int r = 0; r < 3; ++r)
            shown.insert(model()->sampleIdAt(r));
        QCOMPARE(shown, picked);
        QCOMPARE(gallery()->selectedSampleIds().size(), 3); // still selected for a bulk action
        QVERIFY(gallery()->chip(QStringLiteral("subset"))->text().startsWith(QStringLiteral("Only the selection (3)")));
        QCOMPARE(gallery()->countLabel()->text(), QStringLiteral("Showing 3 of 6"));
        gallery()->chip(QStringLiteral("subset"))->click();
        QTRY_COMPARE(model()->rowCount(), 6);
        QVERIFY(!gallery()->chipsBar()->isVisible());
    }

    void sortNamesTheRankingOrder()
    {
        QComboBox *sort = gallery()->sortCombo();
        QCOMPARE(sort->currentData().toInt(), int(GalleryModel::SortOrder::NoiseDescending));
        model()->setRanking({5, 1, 3}); // as "Find similar" does
        QCOMPARE(model()->sampleIdAt(0), qint64(5));
        QVERIFY(!sort->isEnabled());
        QCOMPARE(sort->currentText(), QStringLiteral("Similarity (nearest first)"));
        QVERIFY(gallery()->chip(QStringLiteral("similar")));
        gallery()->chip(QStringLiteral("similar"))->click();
        QTRY_VERIFY(!model()->hasRanking());
        QVERIFY(sort->isEnabled());
        QCOMPARE(sort->currentData().toInt(), int(GalleryModel::SortOrder::NoiseDescending));
        QCOMPARE(sort->findData(-1), -1);
        QCOMPARE(model()->sampleIdAt(0), qint64(2)); // noisiest first again
    }
};

QTEST_MAIN(TestViewState)
#include "tst_viewstate.moc"
