// The review window at Fashion-MNIST scale: 60,000 samples with scores. Opening, filtering,
// sorting, scrolling to the end and deciding must stay interactive. Timings are printed; the
// bounds asserted are loose (a shared CI machine) but catch anything quadratic.

#include "ui/uifixture.h"

#include "gallerymodel.h"
#include "gallerywidget.h"
#include "labellingpanel.h"
#include "mainwindow.h"
#include "reviewsession.h"
#include "thumbnailloader.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QListView>
#include <QScrollBar>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace labelscope;
using namespace labelscope::ui;

class TestGalleryScale : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_file;
    static constexpr int kSamples = 60000;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        QElapsedTimer t;
        t.start();
        QString error;
        m_file = testing::makeFixtureProject(m_dir.path(), &error, kSamples);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        qInfo("fixture: %d samples imported with a run in %lld ms", kSamples, t.elapsed());
    }

    void sixtyThousandSamples()
    {
        MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));

        QElapsedTimer t;
        t.start();
        QString error;
        QVERIFY2(w.openProject(m_file, &error), qPrintable(error));
        const qint64 openMs = t.elapsed();
        GalleryWidget *g = w.gallery();
        QListView *view = g->view();
        QCOMPARE(g->model()->rowCount(), kSamples);
        t.restart();
        QCoreApplication::processEvents(); // first layout and paint
        view->viewport()->repaint();
        const qint64 firstPaintMs = t.elapsed();
        qInfo("open: %lld ms (read + model), first layout/paint: %lld ms", openMs, firstPaintMs);

        // Thumbnails load off the GUI thread for the visible items only.
        ThumbnailLoader *loader = w.thumbnailLoader();
        const QModelIndex first = g->model()->index(0);
        QTRY_VERIFY(loader->isCached(g->model()->sampleIdAt(0)));
        QTRY_COMPARE(loader->pending(), 0);
        const int visible = int(view->viewport()->width() / view->gridSize().width())
            * (view->viewport()->height() / view->gridSize().height() + 1);
        qInfo("thumbnails cached after the first screen: %d (about %d visible)", loader->cachedCount(), visible);
        QVERIFY(loader->cachedCount() < 4 * visible + 400);
        QVERIFY(first.isValid());

        // Filter and sort.
        t.restart();
        g->categoryCombo()->setCurrentIndex(g->categoryCombo()->findData(int(Category::Hard)));
        QCoreApplication::processEvents();
        const qint64 filterMs = t.elapsed();
        QCOMPARE(g->model()->rowCount(), kSamples / 3);
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 20,000 of 60,000"));
        t.restart();
        g->categoryCombo()->setCurrentIndex(0);
        g->sortCombo()->setCurrentIndex(g->sortCombo()->findData(int(GalleryModel::SortOrder::Id)));
        QCoreApplication::processEvents();
        const qint64 sortMs = t.elapsed();
        qInfo("filter: %lld ms, unfilter + sort by id: %lld ms", filterMs, sortMs);

        // Scroll through: paint stays cheap and only visible thumbnails are requested.
        t.restart();
        int frames = 0;
        QScrollBar *bar = view->verticalScrollBar();
        for (int step = 0; step <= 20; ++step) {
            bar->setValue(bar->maximum() * step / 20);
            view->viewport()->repaint();
            ++frames;
        }
        const qint64 scrollMs = t.elapsed();
        qInfo("scroll: %d frames across the gallery in %lld ms (%.1f ms/frame)", frames, scrollMs,
              double(scrollMs) / frames);
        QCOMPARE(g->model()->sampleIdAt(kSamples - 1), qint64(kSamples));
        // The batched layout reaches the last item.
        QTRY_VERIFY(view->visualRect(g->model()->index(kSamples - 1)).isValid());

        // Thumbnails at the end load.
        const QModelIndex last = g->model()->index(kSamples - 1);
        view->scrollTo(last);
        QTRY_VERIFY(view->viewport()->rect().intersects(view->visualRect(last)));
        QTRY_VERIFY(!last.data(GalleryModel::ThumbnailRole).value<QImage>().isNull());

        // A decision at this size: written, model updated, next opened.
        QVERIFY(QTest::qWaitForWindowActive(&w));
        g->setCurrentSample(kSamples - 10);
        view->setFocus();
        t.restart();
        QTest::keyClick(view, Qt::Key_3);
        const qint64 decideMs = t.elapsed();
        QCOMPARE(w.panel()->sampleId(), qint64(kSamples - 9));
        QCOMPARE(g->model()->index(kSamples - 11).data(GalleryModel::LabelRole).toInt(), 2);
        qInfo("decision incl. write, model update and next: %lld ms", decideMs);

        // A bulk relabel of 1,000 selected samples is one call and one model reset.
        QItemSelection sel(g->model()->index(0), g->model()->index(999));
        view->selectionModel()->select(sel, QItemSelectionModel::ClearAndSelect);
        w.setBulkConfirmThreshold(1 << 30); // times the write, not the confirmation (tst_reviewday)
        t.restart();
        QVERIFY(w.decide(MainWindow::DecisionKind::Exclude));
        const qint64 bulkMs = t.elapsed();
        qInfo("bulk exclude of 1000: %lld ms", bulkMs);
        QVERIFY(g->model()->index(999).data(GalleryModel::ExcludedRole).toBool());
    }
};

QTEST_MAIN(TestGalleryScale)
#include "tst_galleryscale.moc"
