// The gallery's active-learning views (issue 4; ui/gallerymodel.h): the latest round's queued
// batch in labelling order, the labelled training set, and the scored pool most uncertain first
// with each tile framed by an uncertainty colour ramp; the store's al_scores table (schema v3)
// round-trips and a v2 project migrates to it.

#include "activelearningpanel.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "mainwindow.h"
#include "reviewsession.h"
#include "thumbnaildelegate.h"
#include "thumbnailloader.h"

#include "base/dataset.h"
#include "base/projectschema.h"
#include "base/projectstore.h"
#include "alprojectfixture.h"

#include <QComboBox>
#include <QDir>
#include <QImage>
#include <QLabel>
#include <QListView>
#include <QPainter>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace labelscope;
using namespace labelscope::ui;

namespace {

// Ids 1..12 train (1..4 labelled, 3 then excluded; 5..12 unlabelled: the pool), 13..14 test.
QString makeProject(const QString &dir, QString *error)
{
    Dataset ds;
    ds.spec = dir;
    ds.classes = QStringList{QStringLiteral("cat"), QStringLiteral("dog"), QStringLiteral("bird")};
    ds.channels = 3;
    ds.height = 10;
    ds.width = 12;
    const int labels[14] = {0, 1, 2, 0, -1, -1, -1, -1, -1, -1, -1, -1, 1, 2};
    for (int i = 0; i < 14; ++i) {
        QImage img(12, 10, QImage::Format_RGB888);
        img.fill(QColor::fromHsv((i * 47) % 360, 200, 220));
        const QString path = QDir(dir).filePath(QStringLiteral("img_%1.png").arg(i));
        if (!img.save(path)) {
            *error = QStringLiteral("cannot write %1").arg(path);
            return {};
        }
        Sample s;
        s.source = QStringLiteral("folder");
        s.path = path;
        s.split = i < 12 ? QStringLiteral("train") : QStringLiteral("test");
        s.label = labels[i];
        s.trueLabel = labels[i] >= 0 ? labels[i] : i % 3;
        ds.samples.push_back(s);
    }
    ds.pixels.assign(std::size_t(14) * ds.imageBytes(), 0);
    const QString file = QDir(dir).filePath(QStringLiteral("project.db"));
    ProjectStore store;
    if (!store.open(file, error) || !store.importDataset(ds, error))
        return {};
    if (!store.applyDecisions({{3, 2, true, QStringLiteral("exclude")}}, QStringLiteral("test"), error))
        return {};
    // An older round (its queue and scores must not show), then the latest one.
    AlRoundInfo info;
    info.strategy = QStringLiteral("margin_based");
    info.diversity = QStringLiteral("pick_top_n");
    info.batchSize = 1;
    const qint64 old = store.saveAlRound(info, {{12, 0, 1.f}}, error);
    if (old <= 0 || !store.saveAlScores(old, {12}, {1.f}, error))
        return {};
    info.batchSize = 3;
    info.labelled = 3;
    const qint64 latest = store.saveAlRound(info, {{7, 0, 0.9f}, {5, 1, 0.3f}, {11, 2, 0.7f}}, error);
    if (latest <= 0
        || !store.saveAlScores(latest, {5, 6, 7, 8, 9, 10, 11, 12},
                               {0.3f, 0.1f, 0.9f, 0.5f, 0.2f, 0.05f, 0.7f, 0.4f}, error))
        return {};
    return file;
}

QVector<qint64> shownIds(const GalleryModel *m)
{
    QVector<qint64> ids;
    for (int r = 0; r < m->rowCount(); ++r)
        ids.push_back(m->sampleIdAt(r));
    return ids;
}

// The colour of the left frame edge of the tile of ROW as the gallery's delegate paints it.
QColor paintedFrame(const GalleryModel *m, int row, int side)
{
    ThumbnailDelegate delegate(side);
    const QSize tile = ThumbnailDelegate::tileSize(side);
    QImage img(tile, QImage::Format_RGB32);
    img.fill(Qt::white);
    QPainter p(&img);
    QStyleOptionViewItem option;
    option.rect = QRect(QPoint(0, 0), tile);
    delegate.paint(&p, option, m->index(row));
    p.end();
    return img.pixelColor(4 + 1, 4 + side / 2); // margin 4, inside the 4-pixel frame
}

} // namespace

class TestAlGallery final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void storeRoundTrip()
    {
        QTemporaryDir dir;
        QString error;
        const QString file = makeProject(dir.path(), &error);
        QVERIFY2(!file.isEmpty(), qPrintable(error));
        ProjectStore store;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        const auto rounds = store.alRounds();
        QCOMPARE(int(rounds.size()), 2);
        std::vector<qint64> ids;
        std::vector<float> scores;
        QVERIFY(store.alScores(rounds[1].id, &ids, &scores));
        QCOMPARE(ids, (std::vector<qint64>{5, 6, 7, 8, 9, 10, 11, 12}));
        QCOMPARE(scores, (std::vector<float>{0.3f, 0.1f, 0.9f, 0.5f, 0.2f, 0.05f, 0.7f, 0.4f}));
        QVERIFY(store.alScores(rounds[0].id, &ids, &scores));
        QCOMPARE(ids, std::vector<qint64>{12});
        // Replacing a round's scores.
        QVERIFY2(store.saveAlScores(rounds[0].id, {12, 11}, {0.25f, 0.5f}, &error), qPrintable(error));
        QVERIFY(store.alScores(rounds[0].id, &ids, &scores));
        QCOMPARE(ids, (std::vector<qint64>{12, 11}));
        QCOMPARE(scores, (std::vector<float>{0.25f, 0.5f}));
    }

    void version2Migrates()
    {
        QVERIFY(ProjectStore::kSchemaVersion >= 3); // al_scores came with version 3
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("v2.db"));
        {
            // A v2 project made by the first two migrations, with one round in it.
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("v2"));
            db.setDatabaseName(file);
            QVERIFY(db.open());
            QString detail;
            QVERIFY(db.transaction());
            for (int v = 0; v < 2; ++v)
                QVERIFY2(migrations()[std::size_t(v)](db, &detail), qPrintable(detail));
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("INSERT INTO al_rounds(strategy, batch_size) VALUES ('entropy_based', 4)")));
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version = 2")));
            QVERIFY(db.commit());
            QVERIFY(!q.exec(QStringLiteral("SELECT 1 FROM al_scores")));
            q = QSqlQuery();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("v2"));
        ProjectStore store;
        QString error;
        QVERIFY2(store.open(file, &error), qPrintable(error));
        const auto rounds = store.alRounds();
        QCOMPARE(int(rounds.size()), 1);
        QCOMPARE(rounds[0].strategy, QStringLiteral("entropy_based"));
        std::vector<qint64> ids{1};
        std::vector<float> scores{1.f};
        QVERIFY2(store.alScores(rounds[0].id, &ids, &scores), qPrintable(store.lastError()));
        QVERIFY(ids.empty() && scores.empty());
        QVERIFY2(store.saveAlScores(rounds[0].id, {3, 1}, {0.5f, 0.75f}, &error), qPrintable(error));
        QVERIFY(store.alScores(rounds[0].id, &ids, &scores));
        QCOMPARE(ids, (std::vector<qint64>{3, 1}));
        store.close();
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("v3"));
            db.setDatabaseName(file);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version")) && q.next());
            QCOMPARE(q.value(0).toInt(), ProjectStore::kSchemaVersion);
            q = QSqlQuery();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("v3"));
    }

    void galleryViews()
    {
        QTemporaryDir dir;
        QString error;
        const QString file = makeProject(dir.path(), &error);
        QVERIFY2(!file.isEmpty(), qPrintable(error));
        MainWindow w;
        w.resize(1200, 800);
        QVERIFY2(w.openProject(file, &error), qPrintable(error));
        GalleryWidget *g = w.gallery();
        GalleryModel *m = g->model();
        QComboBox *al = g->activeLearningCombo();
        QVERIFY(al);
        QCOMPARE(al->objectName(), QStringLiteral("alFilter"));
        g->sortCombo()->setCurrentIndex(g->sortCombo()->findData(int(GalleryModel::SortOrder::Id)));
        const QVector<qint64> train{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; // the split filter starts on Train
        QCOMPARE(shownIds(m), train);

        // Queued batch of the latest round, in labelling order (not the older round's #12).
        al->setCurrentIndex(al->findData(int(GalleryModel::AlView::Queue)));
        QCOMPARE(m->alView(), GalleryModel::AlView::Queue);
        QCOMPARE(shownIds(m), (QVector<qint64>{7, 5, 11}));
        QVERIFY(!m->index(0).data(GalleryModel::FrameColorRole).value<QColor>().isValid());
        QVERIFY(g->countLabel()->text().contains(QStringLiteral("queue of round")));

        // Labelled set: labelled, non-excluded training samples (not #3 excluded, not the test split).
        al->setCurrentIndex(al->findData(int(GalleryModel::AlView::Labelled)));
        QCOMPARE(shownIds(m), (QVector<qint64>{1, 2, 4}));
        QVERIFY(g->uncertaintyLegend()->isHidden());

        // Pool by uncertainty: the latest round's scored samples, most uncertain first.
        al->setCurrentIndex(al->findData(int(GalleryModel::AlView::Pool)));
        const QVector<qint64> pool{7, 11, 8, 12, 5, 9, 6, 10};
        QCOMPARE(shownIds(m), pool);
        QCOMPARE(m->index(0).data(GalleryModel::UncertaintyRole).toFloat(), 0.9f);
        QVERIFY(m->index(0).data(Qt::DisplayRole).toString().contains(QStringLiteral("0.900")));
        QVERIFY(m->index(0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("Uncertainty: 0.9000 (rank 1 of 8")));
        // Frames: red for the most uncertain, blue for the least, in the model and as painted.
        const QColor high = m->index(0).data(GalleryModel::FrameColorRole).value<QColor>();
        const QColor low = m->index(pool.size() - 1).data(GalleryModel::FrameColorRole).value<QColor>();
        QVERIFY(high.isValid() && low.isValid());
        QCOMPARE(high, GalleryModel::uncertaintyColor(1.0));
        QCOMPARE(low, GalleryModel::uncertaintyColor(0.0));
        QVERIFY(high.red() > high.blue() && low.blue() > low.red());
        const int side = w.thumbnailLoader()->thumbnailSize();
        const QColor paintedHigh = paintedFrame(m, 0, side), paintedLow = paintedFrame(m, pool.size() - 1, side);
        QCOMPARE(paintedHigh.rgb(), high.rgb());
        QCOMPARE(paintedLow.rgb(), low.rgb());
        QVERIFY(paintedHigh != paintedLow);
        // A middle score gets a middle (yellowish) colour.
        const QColor mid = m->index(2).data(GalleryModel::FrameColorRole).value<QColor>(); // #8, 0.5
        QVERIFY(mid.green() > low.green() && mid.green() > high.green());
        QCOMPARE(m->alCount(), 8);
        QVERIFY(!g->uncertaintyLegend()->isHidden());
        QVERIFY(g->findChild<QLabel *>(QStringLiteral("uncertaintyLegendText"))->text().contains(QStringLiteral("0.05")));
        if (qEnvironmentVariableIsSet("ALGALLERY_SCREENSHOT")) { // a look at the pool view
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            QTRY_COMPARE(w.thumbnailLoader()->pending(), 0);
            QTest::qWait(200);
            QVERIFY(w.grab().save(qEnvironmentVariable("ALGALLERY_SCREENSHOT")));
        }

        // The other filters apply on top, and label decisions move samples between the sets.
        QVERIFY(w.session()->decide({{7, 1, false, QStringLiteral("relabel")}}, QStringLiteral("label #7")));
        g->classCombo()->setCurrentIndex(g->classCombo()->findData(1)); // dog
        QCOMPARE(shownIds(m), (QVector<qint64>{7}));
        al->setCurrentIndex(al->findData(int(GalleryModel::AlView::Labelled)));
        QCOMPARE(shownIds(m), (QVector<qint64>{2, 7}));
        g->classCombo()->setCurrentIndex(0);
        QCOMPARE(shownIds(m), (QVector<qint64>{1, 2, 4, 7}));
        al->setCurrentIndex(al->findData(int(GalleryModel::AlView::Off)));
        QCOMPARE(shownIds(m), train);

        // The active-learning panel's links open the views in the gallery.
        auto *panel = w.findChild<ActiveLearningPanel *>(QStringLiteral("activeLearningPanel"));
        QVERIFY(panel);
        w.tabs()->setCurrentWidget(panel);
        g->classCombo()->setCurrentIndex(g->classCombo()->findData(0)); // reset by the link
        auto *showPool = panel->findChild<QPushButton *>(QStringLiteral("showPoolInGallery"));
        QVERIFY(showPool);
        showPool->click();
        QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget *>(g));
        QCOMPARE(m->alView(), GalleryModel::AlView::Pool);
        QCOMPARE(al->currentData().toInt(), int(GalleryModel::AlView::Pool));
        QCOMPARE(shownIds(m), pool);
        QCOMPARE(g->currentSampleId(), qint64(7));
        panel->findChild<QPushButton *>(QStringLiteral("showQueueInGallery"))->click();
        QCOMPARE(shownIds(m), (QVector<qint64>{7, 5, 11}));
        panel->findChild<QPushButton *>(QStringLiteral("showLabelledInGallery"))->click();
        QCOMPARE(shownIds(m), (QVector<qint64>{1, 2, 4, 7}));

        // A new round (written by another connection, as the worker does) shows after a refresh.
        {
            ProjectStore other;
            QVERIFY2(other.open(file, &error), qPrintable(error));
            AlRoundInfo info;
            info.strategy = QStringLiteral("entropy_based");
            info.diversity = QStringLiteral("pick_top_n"); // a null string is refused (NOT NULL)
            const qint64 r = other.saveAlRound(info, {{6, 0, 2.f}}, &error);
            QVERIFY2(r > 0, qPrintable(error));
            QVERIFY2(other.saveAlScores(r, {6, 9}, {2.f, 1.f}, &error), qPrintable(error));
        }
        g->showActiveLearning(GalleryModel::AlView::Pool);
        m->refreshActiveLearning();
        QCOMPARE(shownIds(m), (QVector<qint64>{6, 9}));
    }

    // End to end: a real round from the active-learning panel (training on 20 labels) fills
    // the gallery's pool view with every scored sample, most uncertain first.
    void panelRoundFillsPoolView()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("al.db"));
        {
            const QString made = testing::makeActiveLearningProject(file, 200, 20);
            QVERIFY2(made.isEmpty(), qPrintable(made));
        }
        MainWindow w;
        QString error;
        QVERIFY2(w.openProject(file, &error), qPrintable(error));
        GalleryWidget *g = w.gallery();
        g->showActiveLearning(GalleryModel::AlView::Pool);
        QCOMPARE(g->model()->rowCount(), 0);
        auto *panel = w.findChild<ActiveLearningPanel *>(QStringLiteral("activeLearningPanel"));
        QVERIFY(panel);
        panel->batchBox()->setValue(5);
        QSignalSpy finished(panel, &ActiveLearningPanel::roundFinished);
        QSignalSpy failed(panel, &ActiveLearningPanel::roundFailed);
        QVERIFY(panel->runRound());
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, 120000);
        if (!failed.isEmpty())
            QFAIL(qPrintable(failed.front().front().toString()));

        const qint64 round = finished.front().front().toLongLong();
        std::vector<qint64> ids;
        std::vector<float> scores;
        QVERIFY(w.session()->store()->alScores(round, &ids, &scores));
        QCOMPARE(int(ids.size()), 180); // the whole unlabelled training pool (limit -1)
        std::vector<std::size_t> order(ids.size());
        for (std::size_t j = 0; j < order.size(); ++j)
            order[j] = j;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return scores[a] != scores[b] ? scores[a] > scores[b] : ids[a] < ids[b];
        });
        QVector<qint64> expected;
        for (std::size_t j : order)
            expected.push_back(ids[j]);
        QCOMPARE(g->model()->alRoundId(), round); // refreshed when the round finished
        QCOMPARE(shownIds(g->model()), expected);
        QVERIFY(g->model()->index(0).data(GalleryModel::FrameColorRole).value<QColor>()
                != g->model()->index(179).data(GalleryModel::FrameColorRole).value<QColor>());
        QVector<qint64> queue;
        for (const AlQueueItem &q : w.session()->store()->alQueue(round))
            queue.push_back(q.sampleId);
        QCOMPARE(queue.size(), 5);
        g->showActiveLearning(GalleryModel::AlView::Queue);
        QCOMPARE(shownIds(g->model()), queue);
    }

    void noRoundYet()
    {
        QTemporaryDir dir;
        QString error;
        const QString file = QDir(dir.path()).filePath(QStringLiteral("empty.db"));
        {
            Dataset ds;
            ds.classes = QStringList{QStringLiteral("a"), QStringLiteral("b")};
            ds.channels = 1;
            ds.height = ds.width = 4;
            for (int i = 0; i < 3; ++i) {
                Sample s;
                s.source = QStringLiteral("folder");
                s.path = QDir(dir.path()).filePath(QStringLiteral("missing_%1.png").arg(i));
                s.label = i == 0 ? 1 : -1;
                ds.samples.push_back(s);
            }
            ds.pixels.assign(std::size_t(3) * ds.imageBytes(), 0);
            ProjectStore store;
            QVERIFY2(store.open(file, &error) && store.importDataset(ds, &error), qPrintable(error));
        }
        MainWindow w;
        QVERIFY2(w.openProject(file, &error), qPrintable(error));
        GalleryWidget *g = w.gallery();
        g->showActiveLearning(GalleryModel::AlView::Pool);
        QCOMPARE(g->model()->rowCount(), 0);
        QVERIFY(g->countLabel()->text().contains(QStringLiteral("no active-learning round yet")));
        g->showActiveLearning(GalleryModel::AlView::Labelled);
        QCOMPARE(shownIds(g->model()), QVector<qint64>{1});
        g->showActiveLearning(GalleryModel::AlView::Off);
        QCOMPARE(g->model()->rowCount(), 3);
    }
};

QTEST_MAIN(TestAlGallery)
#include "tst_algallery.moc"
