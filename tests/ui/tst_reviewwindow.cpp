// GUI tests of the review window (offscreen): decisions by keyboard are written to the project
// at once, show in the gallery, open the next sample, undo/redo append events, filters change
// the "Showing N of M" count, bulk relabel is one applyDecisions call, class rows and exports.

#include "ui/uifixture.h"

#include "classrowsview.h"
#include "exporter.h"
#include "exportrunner.h"
#include "jobs/jobrunner.h"
#include "uicommon.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "labellingpanel.h"
#include "mainwindow.h"
#include "reviewsession.h"

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QListView>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

class TestReviewWindow : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_file;
    std::unique_ptr<MainWindow> m_window;

    GalleryModel *model() const { return m_window->gallery()->model(); }
    QListView *view() const { return m_window->gallery()->view(); }

    /// A second connection, as another process would see the project.
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

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        m_window = std::make_unique<MainWindow>();
        QVERIFY2(m_window->openProject(m_file, &error), qPrintable(error));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        view()->setFocus();
    }

    void cleanup()
    {
        m_window.reset();
        m_dir.reset();
    }

    void opensProject()
    {
        QVERIFY(!m_window->isStartPageShown());
        QCOMPARE(model()->rowCount(), 6);
        QCOMPARE(m_window->gallery()->countLabel()->text(), QStringLiteral("Showing 6 of 6"));
        // Default order: noise score descending.
        const QList<qint64> expected{2, 4, 3, 6, 5, 1};
        for (int r = 0; r < 6; ++r)
            QCOMPARE(model()->sampleIdAt(r), expected[r]);
        QCOMPARE(model()->index(0).data(GalleryModel::CategoryRole).toInt(), int(Category::Hard));
        QCOMPARE(model()->index(5).data(GalleryModel::CategoryRole).toInt(), int(Category::Easy));
        // The first sample is shown.
        QCOMPARE(m_window->panel()->sampleId(), qint64(2));
        const QString counts = m_window->findChild<QLabel *>(QStringLiteral("categoryCounts"))->text();
        QVERIFY2(counts.contains(QStringLiteral("Easy 2")) && counts.contains(QStringLiteral("Hard 2"))
                     && counts.contains(QStringLiteral("Need review 2")),
                 qPrintable(counts));
    }

    void numberKeyRelabelsAndUndo()
    {
        sortById();
        selectRow(0);
        QCOMPARE(m_window->panel()->sampleId(), qint64(1));
        const std::size_t before = dbEvents(m_file).size();

        QTest::keyClick(view(), Qt::Key_2); // class 1 "dog"

        // In the database, seen through another connection.
        std::optional<SampleRow> row = dbSample(m_file, 1);
        QVERIFY(row);
        QCOMPARE(row->label, 1);
        QCOMPARE(row->givenLabel, 0);
        std::vector<LabelEvent> events = dbEvents(m_file);
        QCOMPARE(events.size(), before + 1);
        QCOMPARE(events.back().sampleId, qint64(1));
        QCOMPARE(events.back().reason, QStringLiteral("relabel"));
        QCOMPARE(events.back().oldLabel, 0);
        QCOMPARE(events.back().newLabel, 1);
        // In the gallery.
        const QModelIndex first = model()->index(0);
        QCOMPARE(first.data(GalleryModel::LabelRole).toInt(), 1);
        QVERIFY(first.data(GalleryModel::RelabelledRole).toBool());
        QVERIFY(first.data(GalleryModel::CaptionRole).toString().startsWith(QStringLiteral("dog")));
        // The next sample opened by itself.
        QCOMPARE(m_window->panel()->sampleId(), qint64(2));
        QCOMPARE(view()->currentIndex().row(), 1);

        // Ctrl+Z reverts database and model, with an "undo" event.
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier);
        row = dbSample(m_file, 1);
        QCOMPARE(row->label, 0);
        events = dbEvents(m_file);
        QCOMPARE(events.size(), before + 2);
        QCOMPARE(events.back().reason, QStringLiteral("undo"));
        QCOMPARE(events.back().newLabel, 0);
        QCOMPARE(model()->index(0).data(GalleryModel::LabelRole).toInt(), 0);
        QVERIFY(!model()->index(0).data(GalleryModel::RelabelledRole).toBool());
        QCOMPARE(model()->index(0).data(GalleryModel::CaptionRole).toString(), QStringLiteral("cat"));
        QCOMPARE(m_window->panel()->sampleId(), qint64(1)); // back on the undone sample

        // Ctrl+Shift+Z redoes with a "redo" event.
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(dbSample(m_file, 1)->label, 1);
        events = dbEvents(m_file);
        QCOMPARE(events.size(), before + 3);
        QCOMPARE(events.back().reason, QStringLiteral("redo"));
        QCOMPARE(model()->index(0).data(GalleryModel::LabelRole).toInt(), 1);
    }

    void keepExcludeAndNavigation()
    {
        sortById();
        selectRow(1); // id 2
        QTest::keyClick(view(), Qt::Key_K);
        QCOMPARE(dbEvents(m_file, 2).back().reason, QStringLiteral("accept"));
        QCOMPARE(m_window->panel()->sampleId(), qint64(3));

        QTest::keyClick(view(), Qt::Key_X); // exclude id 3
        std::optional<SampleRow> row = dbSample(m_file, 3);
        QVERIFY(row->excluded);
        QCOMPARE(row->label, 2);
        QCOMPARE(dbEvents(m_file, 3).back().reason, QStringLiteral("exclude"));
        QVERIFY(model()->index(2).data(GalleryModel::ExcludedRole).toBool());
        QCOMPARE(m_window->panel()->sampleId(), qint64(4));

        // Space also keeps; it un-excludes.
        QTest::keyClick(view(), Qt::Key_A);
        QCOMPARE(m_window->panel()->sampleId(), qint64(3));
        QTest::keyClick(view(), Qt::Key_Space);
        QVERIFY(!dbSample(m_file, 3)->excluded);
        QCOMPARE(m_window->panel()->sampleId(), qint64(4));

        // D / Right next, A / Left previous, without writing anything.
        const std::size_t before = dbEvents(m_file).size();
        QTest::keyClick(view(), Qt::Key_D);
        QCOMPARE(m_window->panel()->sampleId(), qint64(5));
        QTest::keyClick(view(), Qt::Key_Right);
        QCOMPARE(m_window->panel()->sampleId(), qint64(6));
        QTest::keyClick(view(), Qt::Key_Right); // last: stays
        QCOMPARE(m_window->panel()->sampleId(), qint64(6));
        QTest::keyClick(view(), Qt::Key_Left);
        QCOMPARE(m_window->panel()->sampleId(), qint64(5));
        QCOMPARE(dbEvents(m_file).size(), before);

        // P accepts the model's prediction.
        selectRow(3); // id 4, predicted class 1
        QTest::keyClick(view(), Qt::Key_P);
        QCOMPARE(dbSample(m_file, 4)->label, 1);
    }

    void filtersChangeCount()
    {
        GalleryWidget *g = m_window->gallery();
        g->categoryCombo()->setCurrentIndex(g->categoryCombo()->findData(int(Category::Hard)));
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 2 of 6"));
        QCOMPARE(model()->rowCount(), 2);
        QCOMPARE(model()->sampleIdAt(0), qint64(2));
        QCOMPARE(model()->sampleIdAt(1), qint64(4));

        g->categoryCombo()->setCurrentIndex(0);
        g->classCombo()->setCurrentIndex(g->classCombo()->findData(2)); // "bird, small": ids 3, 6
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 2 of 6"));
        g->classCombo()->setCurrentIndex(0);
        g->stateCombo()->setCurrentIndex(g->stateCombo()->findData(int(GalleryModel::StateFilter::Disagrees)));
        QCOMPARE(model()->rowCount(), 3); // ids 2, 4, 6

        // With "Not relabelled", a relabelled sample leaves the gallery and the next one opens.
        g->stateCombo()->setCurrentIndex(g->stateCombo()->findData(int(GalleryModel::StateFilter::NotRelabelled)));
        QCOMPARE(model()->rowCount(), 6);
        selectRow(0); // id 2
        QTest::keyClick(view(), Qt::Key_1);
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 5 of 6"));
        QCOMPARE(m_window->panel()->sampleId(), qint64(4));
        QCOMPARE(model()->rowOfSample(2), -1);
        // Undo brings it back at its sorted place.
        QTest::keyClick(view(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 6 of 6"));
        QCOMPARE(model()->rowOfSample(2), 0);

        g->stateCombo()->setCurrentIndex(g->stateCombo()->findData(int(GalleryModel::StateFilter::Relabelled)));
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 0 of 6"));
    }

    void splitFilter()
    {
        // The shared fixture has only train samples: no split combo, nothing filtered.
        QVERIFY(!m_window->gallery()->splitCombo()->isVisible());
        QCOMPARE(model()->splitFilter(), GalleryModel::SplitFilter::All);

        // A project with two unscored "test" samples (ids 7, 8) opens on "Train".
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString error;
        const QString file = testing::makeFixtureProject(dir.path(), &error, 6, true, 2);
        QVERIFY2(!file.isEmpty(), qPrintable(error));
        MainWindow w;
        QVERIFY2(w.openProject(file, &error), qPrintable(error));
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        GalleryWidget *g = w.gallery();
        QComboBox *split = g->splitCombo();
        QVERIFY(split->isVisible());
        QCOMPARE(split->currentData().toInt(), int(GalleryModel::SplitFilter::Train));
        QCOMPARE(g->model()->splitFilter(), GalleryModel::SplitFilter::Train);
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 6 of 8"));
        QCOMPARE(g->model()->rowOfSample(7), -1);
        QCOMPARE(w.panel()->sampleId(), qint64(2)); // noisiest train sample

        // Status bar: the test samples are "not analysed", not "Unknown".
        const QString counts = w.findChild<QLabel *>(QStringLiteral("categoryCounts"))->text();
        QVERIFY2(counts.contains(QStringLiteral("not analysed (test split) 2")), qPrintable(counts));
        QVERIFY2(!counts.contains(QStringLiteral("Unknown")), qPrintable(counts));

        split->setCurrentIndex(split->findData(int(GalleryModel::SplitFilter::All)));
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 8 of 8"));
        split->setCurrentIndex(split->findData(int(GalleryModel::SplitFilter::Test)));
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 2 of 8"));
        QCOMPARE(g->model()->sampleIdAt(0), qint64(7));
        QCOMPARE(g->model()->sampleIdAt(1), qint64(8));

        // Navigation walks the filtered order: next from 7 is 8, then it stays.
        QVERIFY(g->setCurrentSample(7));
        QCOMPARE(w.panel()->sampleId(), qint64(7));
        w.next();
        QCOMPARE(w.panel()->sampleId(), qint64(8));
        w.next();
        QCOMPARE(w.panel()->sampleId(), qint64(8));
        // A decision on the last test sample stays within the split.
        QVERIFY(w.decide(MainWindow::DecisionKind::Accept));
        QCOMPARE(w.panel()->sampleId(), qint64(8));
        w.previous();
        QCOMPARE(w.panel()->sampleId(), qint64(7));
        QVERIFY(w.decide(MainWindow::DecisionKind::Accept));
        QCOMPARE(w.panel()->sampleId(), qint64(8));

        // A reload of the same project keeps the chosen split.
        QVERIFY2(w.session()->reload(&error), qPrintable(error));
        QCOMPARE(split->currentData().toInt(), int(GalleryModel::SplitFilter::Test));
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 2 of 8"));
    }

    void bulkRelabelIsOneCall()
    {
        sortById();
        QSignalSpy written(m_window->session(), &ReviewSession::decisionsWritten);
        const std::size_t before = dbEvents(m_file).size();
        QItemSelectionModel *sel = view()->selectionModel();
        sel->select(model()->index(0), QItemSelectionModel::ClearAndSelect);
        sel->select(model()->index(1), QItemSelectionModel::Select);
        QCOMPARE(m_window->gallery()->selectedSampleIds(), (QVector<qint64>{1, 2}));

        QTest::keyClick(view(), Qt::Key_3); // "bird, small" for both
        QCOMPARE(written.count(), 1);
        QCOMPARE(written.at(0).at(0).toInt(), 2);
        const std::vector<LabelEvent> events = dbEvents(m_file);
        QCOMPARE(events.size(), before + 2);
        for (std::size_t k = events.size() - 2; k < events.size(); ++k) {
            QCOMPARE(events[k].reason, QStringLiteral("relabel"));
            QCOMPARE(events[k].newLabel, 2);
        }
        QCOMPARE(dbSample(m_file, 1)->label, 2);
        QCOMPARE(dbSample(m_file, 2)->label, 2);
        QCOMPARE(model()->index(0).data(GalleryModel::LabelRole).toInt(), 2);
        QCOMPARE(model()->index(1).data(GalleryModel::LabelRole).toInt(), 2);
        QCOMPARE(m_window->gallery()->selectedSampleIds().size(), 2); // selection kept

        // One undo restores both, again in one call.
        written.clear();
        m_window->session()->undoStack()->undo();
        QCOMPARE(written.count(), 1);
        QCOMPARE(dbSample(m_file, 1)->label, 0);
        QCOMPARE(dbSample(m_file, 2)->label, 1);

        // Bulk through the gallery's menu signal.
        written.clear();
        Q_EMIT m_window->gallery()->bulkExcludeRequested();
        QCOMPARE(written.count(), 1);
        QVERIFY(dbSample(m_file, 1)->excluded && dbSample(m_file, 2)->excluded);
    }

    void thumbnailsAndPanelImageLoad()
    {
        const QModelIndex idx = model()->index(0);
        QTRY_VERIFY(!idx.data(GalleryModel::ThumbnailRole).value<QImage>().isNull());
        const QImage thumb = idx.data(GalleryModel::ThumbnailRole).value<QImage>();
        QCOMPARE(thumb.size(), QSize(84, 70)); // 12×10 enlarged ×7 (nearest neighbour) to fit 84
        QTRY_VERIFY(!m_window->panel()->imageView()->image().isNull());
        QCOMPARE(m_window->panel()->imageView()->image().size(), QSize(12, 10));
    }

    void classRowsAndPng()
    {
        ClassRowsView *rows = m_window->classRows();
        rows->setClass(0); // given "cat": id 1 easy, id 4 hard
        QCOMPARE(rows->rowSamples(Category::Easy), QVector<int>{0});
        QCOMPARE(rows->rowSamples(Category::Hard), QVector<int>{3});
        QVERIFY(rows->rowSamples(Category::NeedReview).isEmpty());
        rows->setClass(2); // ids 3 (0.50) and 6 (0.45) need review
        QCOMPARE(rows->rowSamples(Category::NeedReview).size(), 2);
        const QString png = m_dir->filePath(QStringLiteral("rows.png"));
        QString error;
        QVERIFY2(rows->exportPng(png, &error), qPrintable(error));
        const QImage img(png);
        QVERIFY(!img.isNull());
        QVERIFY(img.width() > 200 && img.height() > 100);
        // A click on a tile opens that sample.
        Q_EMIT rows->sampleActivated(6);
        QCOMPARE(m_window->panel()->sampleId(), qint64(6));
    }

    void exportCsvContent()
    {
        sortById();
        selectRow(0);
        QTest::keyClick(view(), Qt::Key_3);            // id 1 → "bird, small"
        QTest::keyClick(view(), Qt::Key_X);            // id 2 excluded
        ExportSnapshot snap;
        snap.classes = m_window->session()->classes();
        snap.rows = m_window->session()->rows();
        for (int i = 0; i < m_window->session()->count(); ++i)
            snap.categories.push_back(m_window->session()->category(i));
        const QString csv = m_dir->filePath(QStringLiteral("clean.csv"));
        ExportStatus status;
        const ExportResult r = exportCsv(snap, csv, &status);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.written, qint64(6));
        QCOMPARE(status.done.load(), qint64(6));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 7);
        const QString dir = m_dir->path();
        QCOMPARE(lines[0], QStringLiteral("id,path,label,category,relabelled,excluded,split"));
        QCOMPARE(lines[1], QStringLiteral("1,") + dir + QStringLiteral("/img_0.png,\"bird, small\",easy,1,0,train"));
        QCOMPARE(lines[2], QStringLiteral("2,") + dir + QStringLiteral("/img_1.png,dog,hard,0,1,train"));
        QCOMPARE(lines[3], QStringLiteral("3,") + dir + QStringLiteral("/img_2.png,\"bird, small\",need_review,0,0,train"));
        QCOMPARE(lines[6], QStringLiteral("6,") + dir + QStringLiteral("/img_5.png,\"bird, small\",need_review,0,0,train"));

        // ImageFolder: the five kept samples with their final labels, all of the train split.
        const QString root = m_dir->filePath(QStringLiteral("folder"));
        const ExportResult fr = exportImageFolder(snap, root, &status);
        QVERIFY2(fr.ok, qPrintable(fr.error));
        QCOMPARE(fr.written, qint64(5));
        QVERIFY(QFile::exists(root + QStringLiteral("/train/bird, small/1.png")));
        QVERIFY(!QFile::exists(root + QStringLiteral("/train/dog/2.png")));
        QVERIFY(QFile::exists(root + QStringLiteral("/train/cat/4.png")));
        QCOMPARE(QImage(root + QStringLiteral("/train/cat/4.png")).size(), QSize(12, 10));

        // The same through the window's background runner (worker thread + progress dialog).
        const QString csv3 = m_dir->filePath(QStringLiteral("threaded.csv"));
        QSignalSpy exported(jobRunnerFor(m_window.get()), &JobRunner::finished);
        runExportWithProgress(
            m_window.get(), QStringLiteral("Writing"),
            [snap, csv3](ExportStatus *st) { return exportCsv(snap, csv3, st); }, QStringLiteral("rows"));
        // Other jobs share the window's runner (the evidence panel builds its similarity index
        // in the background): wait for the export's own finished signal.
        auto exportFinished = [&]() -> int {
            for (int i = 0; i < exported.size(); ++i)
                if (exported.at(i).at(0).toString() == exportJobName())
                    return i;
            return -1;
        };
        QTRY_VERIFY(exportFinished() >= 0);
        const QList<QVariant> done = exported.at(exportFinished());
        QVERIFY2(done.at(1).toBool(), qPrintable(done.at(2).toString()));
        QFile f3(csv3);
        QVERIFY(f3.open(QIODevice::ReadOnly));
        QCOMPARE(f3.readAll(), [&] { f.seek(0); return f.readAll(); }());
        QTRY_VERIFY(m_window->findChild<QObject *>(QStringLiteral("exportProgress")) == nullptr);

        // Cancel stops at once and leaves no file behind.
        ExportStatus cancelled;
        cancelled.cancel = true;
        const QString csv2 = m_dir->filePath(QStringLiteral("cancelled.csv"));
        QVERIFY(exportCsv(snap, csv2, &cancelled).cancelled);
        QVERIFY(!QFile::exists(csv2));
    }

    void csvQuoting()
    {
        QCOMPARE(csvField(QStringLiteral("plain")), QStringLiteral("plain"));
        QCOMPARE(csvField(QStringLiteral("a,b")), QStringLiteral("\"a,b\""));
        QCOMPARE(csvField(QStringLiteral("say \"hi\"")), QStringLiteral("\"say \"\"hi\"\"\""));
        QCOMPARE(safeFolderName(QStringLiteral("T-shirt/top")), QStringLiteral("T-shirt_top"));
        QCOMPARE(safeFolderName(QStringLiteral("..")), QStringLiteral("_.."));
    }

    void reloadSeesNewRun()
    {
        // Another connection (the analysis worker) writes a run in which everything is hard.
        {
            ProjectStore s;
            QVERIFY(s.open(m_file));
            RunRecord run;
            run.started = run.finished = QDateTime::currentDateTimeUtc();
            for (const SampleRow &r : s.samples()) {
                SampleScore sc;
                sc.sampleId = r.id;
                sc.noiseScore = 0.99f;
                sc.category = Category::Hard;
                run.scores.push_back(sc);
            }
            QVERIFY(s.saveRun(run) > 0);
        }
        QString error;
        QVERIFY2(m_window->session()->reload(&error), qPrintable(error));
        GalleryWidget *g = m_window->gallery();
        g->categoryCombo()->setCurrentIndex(g->categoryCombo()->findData(int(Category::Hard)));
        QCOMPARE(g->countLabel()->text(), QStringLiteral("Showing 6 of 6"));
        QVERIFY(m_window->findChild<QLabel *>(QStringLiteral("categoryCounts"))->text().contains(QStringLiteral("Hard 6")));
    }

    void startPageWithoutProject()
    {
        MainWindow w;
        QVERIFY(w.isStartPageShown());
        QString error;
        QVERIFY(!w.openProject(m_dir->filePath(QStringLiteral("missing.db")), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(w.isStartPageShown());
        QVERIFY(w.openProject(m_file, &error));
        QVERIFY(!w.isStartPageShown());
    }
};

QTEST_MAIN(TestReviewWindow)
#include "tst_reviewwindow.moc"
