// Scatter view: lasso / rectangle hit-testing on the PointGrid against hand-made expectations
// and against the brute-force even-odd test, the view's screen ↔ data transform, and the
// scatter ↔ gallery selection sync in the review window (offscreen) with the gallery's filters,
// a bulk relabel of a lasso selection and the selection CSV export.

#include "ui/uifixture.h"

#include "gallerymodel.h"
#include "gallerywidget.h"
#include "labellingpanel.h"
#include "jobs/layoutjob.h"
#include "mainwindow.h"
#include "pointgrid.h"
#include "reviewsession.h"
#include "scatterpanel.h"
#include "scatterview.h"

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

namespace {
// A 10 × 10 lattice: point i at (i % 10, i / 10).
std::vector<float> lattice()
{
    std::vector<float> xy;
    for (int i = 0; i < 100; ++i) {
        xy.push_back(float(i % 10));
        xy.push_back(float(i / 10));
    }
    return xy;
}

std::vector<int> bruteForce(const PointGrid &g, const QPolygonF &poly, const std::vector<std::uint8_t> *mask)
{
    std::vector<int> out;
    for (int i = 0; i < g.size(); ++i)
        if ((!mask || (*mask)[std::size_t(i)]) && PointGrid::polygonContains(poly, g.x(i), g.y(i)))
            out.push_back(i);
    return out;
}

QPolygonF randomPolygon(QRandomGenerator &rng, int vertices, QPointF centre, double radius, bool star)
{
    QPolygonF poly;
    for (int v = 0; v < vertices; ++v) {
        const double a = 2 * M_PI * v / vertices;
        double r = radius * (0.3 + 0.7 * rng.generateDouble());
        if (star && v % 2)
            r *= 0.35;
        poly << centre + QPointF(r * std::cos(a), r * std::sin(a));
    }
    return poly;
}
} // namespace

class TestScatterView final : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_file;
    std::unique_ptr<MainWindow> m_window;

    /// A fixture project of 12 samples with an "embedding" layout: sample id k at (k, k % 3).
    void openProjectWithLayout(bool withLayout = true)
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error, 12);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        if (withLayout) {
            ProjectStore store;
            QVERIFY(store.open(m_file, &error));
            const auto run = store.latestRun();
            QVERIFY(run);
            Layout layout;
            layout.kind = QStringLiteral("embedding");
            for (qint64 id = 1; id <= 12; ++id) {
                layout.sampleIds.push_back(id);
                layout.xy.push_back(float(id));
                layout.xy.push_back(float(id % 3));
            }
            QVERIFY2(store.saveLayout(run->id, layout, &error), qPrintable(error));
        }
        m_window = std::make_unique<MainWindow>();
        QVERIFY2(m_window->openProject(m_file, &error), qPrintable(error));
        m_window->resize(1200, 800);
        m_window->show();
        m_window->tabs()->setCurrentWidget(m_window->scatter());
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        // Sample id order in the gallery makes expectations easy to read.
        QComboBox *sort = m_window->gallery()->sortCombo();
        sort->setCurrentIndex(sort->findData(int(GalleryModel::SortOrder::Id)));
    }

    /// Adds a second finished run to m_file with the first run's scores and embeddings
    /// VALUE(sample id, dimension) of DIM dimensions.
    void addRunWithEmbeddings(int dim, const std::function<float(qint64, int)> &value)
    {
        ProjectStore store;
        QString error;
        QVERIFY(store.open(m_file, &error));
        RunRecord run;
        run.started = QDateTime::currentDateTimeUtc();
        run.finished = run.started;
        run.scores = store.scores(store.latestRun()->id);
        run.embeddingDim = dim;
        for (const SampleScore &sc : run.scores) {
            run.embeddingIds.push_back(sc.sampleId);
            for (int d = 0; d < dim; ++d)
                run.embeddings.push_back(value(sc.sampleId, d));
        }
        QVERIFY2(store.saveRun(run, &error) > 0, qPrintable(error));
    }

    /// Screen polygon around the data points with x in [x0, x1] (all y).
    QPolygonF screenBox(ScatterView *v, double x0, double x1)
    {
        QPolygonF p;
        for (QPointF d : {QPointF(x0 - 0.4, -0.5), QPointF(x1 + 0.4, -0.5), QPointF(x1 + 0.4, 2.5),
                          QPointF(x0 - 0.4, 2.5)})
            p << v->toScreen(d);
        return p;
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void cleanup()
    {
        m_window.reset();
        m_dir.reset();
    }

    void lassoOnLatticeIsExact()
    {
        PointGrid g;
        g.build(lattice(), 2);
        QCOMPARE(g.size(), 100);
        // A triangle with the hypotenuse x + y = 7.9: the lattice points with x, y >= 1 and
        // x + y <= 7.
        const QPolygonF tri{QPointF(0.5, 0.5), QPointF(7.4, 0.5), QPointF(0.5, 7.4)};
        std::vector<int> expected;
        for (int y = 1; y <= 9; ++y)
            for (int x = 1; x <= 9; ++x)
                if (x + y <= 7)
                    expected.push_back(y * 10 + x);
        QCOMPARE(g.pointsInPolygon(tri), expected);
        // A concave "U": columns 1..2 and 7..8 of rows 1..8, plus the bottom bar rows 1..2.
        const QPolygonF u{QPointF(0.5, 0.5), QPointF(8.5, 0.5), QPointF(8.5, 8.5), QPointF(6.5, 8.5),
                          QPointF(6.5, 2.5), QPointF(2.5, 2.5), QPointF(2.5, 8.5), QPointF(0.5, 8.5)};
        expected.clear();
        for (int y = 1; y <= 8; ++y)
            for (int x = 1; x <= 8; ++x)
                if (y <= 2 || x <= 2 || x >= 7)
                    expected.push_back(y * 10 + x);
        QCOMPARE(g.pointsInPolygon(u), expected);
        // The mask removes points; fewer than three vertices select nothing.
        std::vector<std::uint8_t> mask(100, 1);
        mask[11] = 0;
        mask[12] = 0;
        std::vector<int> masked = g.pointsInPolygon(u, &mask);
        QCOMPARE(masked.size(), expected.size() - 2);
        QVERIFY(std::find(masked.begin(), masked.end(), 11) == masked.end());
        QVERIFY(g.pointsInPolygon(QPolygonF{QPointF(0, 0), QPointF(5, 5)}).empty());
        // A lasso entirely away from the points.
        QVERIFY(g.pointsInPolygon(QPolygonF{QPointF(20, 20), QPointF(30, 20), QPointF(25, 30)}).empty());
    }

    void lassoMatchesBruteForce()
    {
        QRandomGenerator rng(7);
        std::vector<float> xy;
        for (int i = 0; i < 20000; ++i) {
            // Two blobs and a uniform background, as a t-SNE layout looks.
            const int kind = i % 3;
            const double cx = kind == 0 ? -20 : kind == 1 ? 25 : 0;
            const double spread = kind == 2 ? 60 : 8;
            xy.push_back(float(cx + (rng.generateDouble() - 0.5) * spread));
            xy.push_back(float((rng.generateDouble() - 0.5) * spread));
        }
        PointGrid g;
        g.build(xy);
        std::vector<std::uint8_t> mask(20000);
        for (auto &m : mask)
            m = rng.bounded(4) != 0;
        for (int t = 0; t < 40; ++t) {
            const QPointF centre((rng.generateDouble() - 0.5) * 60, (rng.generateDouble() - 0.5) * 60);
            QPolygonF poly = randomPolygon(rng, 3 + int(rng.bounded(300)), centre,
                                           2 + rng.generateDouble() * 40, t % 2);
            if (t % 5 == 4) // self-intersecting scribble
                for (int k = 0; k < 20; ++k)
                    poly << QPointF((rng.generateDouble() - 0.5) * 80, (rng.generateDouble() - 0.5) * 80);
            const std::vector<int> got = g.pointsInPolygon(poly);
            QCOMPARE(got, bruteForce(g, poly, nullptr));
            QCOMPARE(g.pointsInPolygon(poly, &mask), bruteForce(g, poly, &mask));
        }
        // Rectangle and nearest against brute force.
        const QRectF rect(-10, -5, 30, 12);
        std::vector<int> inRect;
        for (int i = 0; i < g.size(); ++i)
            if (g.x(i) >= rect.left() && g.x(i) <= rect.right() && g.y(i) >= rect.top() && g.y(i) <= rect.bottom())
                inRect.push_back(i);
        QCOMPARE(g.pointsInRect(rect), inRect);
        for (int t = 0; t < 50; ++t) {
            const QPointF p((rng.generateDouble() - 0.5) * 70, (rng.generateDouble() - 0.5) * 70);
            int best = -1;
            double bestD = 1.5 * 1.5;
            for (int i = 0; i < g.size(); ++i) {
                const double d = (g.x(i) - p.x()) * (g.x(i) - p.x()) + (g.y(i) - p.y()) * (g.y(i) - p.y());
                if (d < bestD || (best < 0 && d <= bestD)) {
                    bestD = d;
                    best = i;
                }
            }
            QCOMPARE(g.nearest(p, 1.5), best);
        }
    }

    void viewTransformAndSelection()
    {
        ScatterView v;
        v.resize(400, 300);
        v.setPoints(lattice());
        v.fitToView();
        // The transform round-trips and y grows upwards.
        const QPointF s = v.toScreen(QPointF(3, 4));
        QVERIFY(qAbs(v.toData(s).x() - 3) < 1e-9 && qAbs(v.toData(s).y() - 4) < 1e-9);
        QVERIFY(v.toScreen(QPointF(0, 9)).y() < v.toScreen(QPointF(0, 0)).y());
        // Every point is on screen after fitting.
        for (QPointF d : {QPointF(0, 0), QPointF(9, 9)}) {
            const QPointF p = v.toScreen(d);
            QVERIFY(p.x() >= 0 && p.x() < 400 && p.y() >= 0 && p.y() < 300);
        }
        // Zooming keeps the point under the cursor in place.
        const QPointF anchor = v.toScreen(QPointF(2, 7));
        v.zoomAt(anchor, 3.0);
        QVERIFY((v.toScreen(QPointF(2, 7)) - anchor).manhattanLength() < 1e-6);
        v.fitToView();
        // A screen rectangle around the lattice's left column.
        const QRectF r = QRectF(v.toScreen(QPointF(-0.3, 9.3)), v.toScreen(QPointF(0.3, -0.3))).normalized();
        QSignalSpy edited(&v, &ScatterView::selectionEdited);
        v.selectRect(r);
        QCOMPARE(edited.count(), 1);
        QCOMPARE(v.selection(), (std::vector<int>{0, 10, 20, 30, 40, 50, 60, 70, 80, 90}));
        // Shift-like add, then subtract.
        v.selectRect(QRectF(v.toScreen(QPointF(0.7, 0.3)), v.toScreen(QPointF(1.3, -0.3))).normalized(),
                     ScatterView::SelectMode::Add);
        QCOMPARE(v.selection().size(), std::size_t(11));
        v.selectRect(r, ScatterView::SelectMode::Subtract);
        QCOMPARE(v.selection(), std::vector<int>{1});
        // Unselectable points are dropped and never selected.
        std::vector<std::uint8_t> mask(100, 1);
        mask[1] = 0;
        v.setSelectable(mask);
        QVERIFY(v.selection().empty());
        v.selectRect(QRectF(v.toScreen(QPointF(-0.5, 0.5)), v.toScreen(QPointF(1.5, -0.5))).normalized());
        QCOMPARE(v.selection(), std::vector<int>{0});
        QCOMPARE(v.pointAt(v.toScreen(QPointF(1, 0))), -1);
        QCOMPARE(v.pointAt(v.toScreen(QPointF(2, 0))), 2);
        // Rendering paints the selected point's ring and the points' colours.
        std::vector<std::uint32_t> colours(100, 0xff1f77b4);
        v.setColors(colours);
        colours[0] = 0xffd62728;
        v.setColors(colours);
        // With a selection the other points are faded halfway to white; the selected one is not.
        const QPoint at = v.toScreen(QPointF(5, 5)).toPoint();
        const QImage &img = v.render();
        QCOMPARE(img.size(), QSize(400, 300));
        QCOMPARE(img.pixel(at) & 0xffffff, 0x8ebad9u);
        QCOMPARE(v.render().pixel(v.toScreen(QPointF(0, 0)).toPoint()) & 0xffffff, 0xd62728u);
        // Without one, every point has its colour; filtered-out points are light grey.
        v.setSelection({});
        QCOMPARE(v.render().pixel(at) & 0xffffff, 0x1f77b4u);
        QCOMPARE(v.render().pixel(v.toScreen(QPointF(1, 0)).toPoint()) & 0xffffff, 0xdadadau);
        // Background elsewhere.
        QCOMPARE(v.render().pixel(v.toScreen(QPointF(4.5, 4.5)).toPoint()) & 0xffffff, 0xffffffu);
    }

    void noLayoutIsExplained()
    {
        openProjectWithLayout(false);
        ScatterPanel *panel = m_window->scatter();
        QVERIFY(!panel->hasLayout());
        auto *label = panel->findChild<QLabel *>(QStringLiteral("scatterEmpty"));
        QVERIFY(label && label->isVisible());
        QVERIFY(label->text().contains(QStringLiteral("layout")));
    }

    void computeLayoutInBackground()
    {
        openProjectWithLayout(false);
        ScatterPanel *panel = m_window->scatter();
        QVERIFY(!panel->hasLayout());
        // The fixture run has σ trajectories (3 epochs) for its 12 samples.
        panel->setKind(QStringLiteral("trajectory"));
        QSignalSpy done(panel, &ScatterPanel::layoutComputed);
        TsneParams params;
        params.iterations = 300;
        params.exaggerationIterations = 100;
        params.emitEvery = 50;
        params.threads = 1;
        QVERIFY(panel->computeLayout(params));
        QVERIFY(panel->isComputing());
        QVERIFY(!panel->computeLayout(params)); // one at a time
        QTRY_VERIFY_WITH_TIMEOUT(done.count() == 1, 60000);
        QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
        QVERIFY(panel->hasLayout());
        QCOMPARE(panel->view()->pointCount(), 12);
        ProjectStore store;
        QString error;
        QVERIFY(store.open(m_file, &error));
        const std::optional<Layout> layout = store.layout(m_window->session()->runId(), QStringLiteral("trajectory"));
        QVERIFY(layout);
        QCOMPARE(layout->sampleIds.size(), std::size_t(12));
        QCOMPARE(layout->settings.value(QStringLiteral("features")).toString(), QStringLiteral("log_sigma_per_epoch"));
        for (float v : layout->xy)
            QVERIFY(std::isfinite(v));

        // One class's trajectories: class 0 has the samples 1, 4, 7, 10.
        panel->setKind(classTrajectoryKind(0));
        QVERIFY(!panel->hasLayout());
        QVERIFY(panel->computeLayout(params));
        QTRY_VERIFY_WITH_TIMEOUT(done.count() == 2, 60000);
        QVERIFY2(done.at(1).at(0).toBool(), qPrintable(done.at(1).at(1).toString()));
        QCOMPARE(panel->view()->pointCount(), 4);
        QCOMPARE(panel->sampleOfPoint(panel->pointOfSample(7)), qint64(7));
        QCOMPARE(panel->pointOfSample(2), -1);

        // The embedding kind fails cleanly: the fixture run stored no embeddings.
        panel->setKind(QStringLiteral("embedding"));
        QVERIFY(panel->computeLayout(params));
        QTRY_VERIFY_WITH_TIMEOUT(done.count() == 3, 60000);
        QVERIFY(!done.at(2).at(0).toBool());
        QVERIFY(done.at(2).at(1).toString().contains(QStringLiteral("embeddings")));
        QVERIFY(!panel->hasLayout());
    }

    void computeLayoutAnimatesAndCancels()
    {
        // A second run with 2,000 random 16-dim embeddings: t-SNE takes long enough to watch
        // the animation and to cancel it.
        m_dir = std::make_unique<QTemporaryDir>();
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error, 2000);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        QRandomGenerator rng(5);
        addRunWithEmbeddings(16, [&](qint64 id, int d) {
            return float(rng.generateDouble()) + (d == int(id % 3) ? 3.f : 0.f);
        });
        m_window = std::make_unique<MainWindow>();
        QVERIFY2(m_window->openProject(m_file, &error), qPrintable(error));
        m_window->show();
        m_window->tabs()->setCurrentWidget(m_window->scatter());
        ScatterPanel *panel = m_window->scatter();
        panel->setKind(QStringLiteral("embedding"));
        QVERIFY(!panel->hasLayout());
        QSignalSpy done(panel, &ScatterPanel::layoutComputed);
        TsneParams params;
        params.iterations = 5000; // far more than this test waits for
        params.emitEvery = 5;
        params.threads = 1;
        QVERIFY(panel->computeLayout(params));
        // The layout shows while it converges.
        QTRY_VERIFY_WITH_TIMEOUT(panel->view()->pointCount() == 2000, 60000);
        QVERIFY(panel->isComputing());
        panel->cancelCompute();
        QTRY_VERIFY_WITH_TIMEOUT(done.count() == 1, 10000);
        QVERIFY(!done.at(0).at(0).toBool());
        QCOMPARE(done.at(0).at(1).toString(), QStringLiteral("cancelled"));
        QVERIFY(!panel->isComputing());
        QVERIFY(!panel->hasLayout()); // back to what the project holds: nothing
        ProjectStore store;
        QVERIFY(store.open(m_file, &error));
        QVERIFY(!store.layout(store.latestRun()->id, QStringLiteral("embedding")));
    }

    void gallerySelectionSyncBothWays()
    {
        openProjectWithLayout();
        ScatterPanel *panel = m_window->scatter();
        QVERIFY(panel->hasLayout());
        ScatterView *v = panel->view();
        QCOMPARE(v->pointCount(), 12);
        QCOMPARE(panel->sampleOfPoint(panel->pointOfSample(7)), qint64(7));

        // Scatter → gallery: a lasso around samples 3..6.
        v->selectPolygon(screenBox(v, 3, 6));
        QCOMPARE(panel->selectedSampleIds(), (QVector<qint64>{3, 4, 5, 6}));
        QCOMPARE(m_window->gallery()->selectedSampleIds(), (QVector<qint64>{3, 4, 5, 6}));

        // Gallery → scatter: select rows of samples 1 and 2 (id order).
        GalleryModel *model = m_window->gallery()->model();
        QItemSelectionModel *sm = m_window->gallery()->view()->selectionModel();
        sm->select(QItemSelection(model->index(model->rowOfSample(1)), model->index(model->rowOfSample(2))),
                   QItemSelectionModel::ClearAndSelect);
        QCOMPARE(panel->selectedSampleIds(), (QVector<qint64>{1, 2}));
        m_window->gallery()->setCurrentSample(9);
        QCOMPARE(panel->selectedSampleIds(), QVector<qint64>{9});

        // A click on a point makes it the gallery's current sample (shown in the panel).
        QTest::mouseClick(v, Qt::LeftButton, Qt::NoModifier, v->toScreen(QPointF(11, 11 % 3)).toPoint());
        QCOMPARE(m_window->gallery()->currentSampleId(), qint64(11));

        // Filters: class "dog" (label 1) keeps ids 2, 5, 8, 11; the others are dimmed and a lasso
        // over everything selects only the shown ones.
        QComboBox *cls = m_window->gallery()->classCombo();
        cls->setCurrentIndex(cls->findData(1));
        QTRY_VERIFY(!v->isSelectable(panel->pointOfSample(1)));
        QVERIFY(v->isSelectable(panel->pointOfSample(5)));
        v->selectPolygon(screenBox(v, 1, 12));
        QCOMPARE(panel->selectedSampleIds(), (QVector<qint64>{2, 5, 8, 11}));
        QCOMPARE(m_window->gallery()->selectedSampleIds(), (QVector<qint64>{2, 5, 8, 11}));
        cls->setCurrentIndex(cls->findData(-1));
        QTRY_VERIFY(v->isSelectable(panel->pointOfSample(1)));
    }

    void galleryRanking()
    {
        // "Find similar" shows the gallery in the order of a ranking, under the other filters.
        openProjectWithLayout();
        GalleryModel *model = m_window->gallery()->model();
        QVERIFY(!model->hasRanking());
        model->setRanking({5, 2, 9});
        QVERIFY(model->hasRanking());
        QCOMPARE(model->rowCount(), 3);
        QCOMPARE(model->sampleIdAt(0), qint64(5));
        QCOMPARE(model->sampleIdAt(1), qint64(2));
        QCOMPARE(model->sampleIdAt(2), qint64(9));
        // Points outside the ranking are dimmed in the scatter view.
        ScatterPanel *panel = m_window->scatter();
        QTRY_VERIFY(!panel->view()->isSelectable(panel->pointOfSample(1)));
        QVERIFY(panel->view()->isSelectable(panel->pointOfSample(9)));
        QComboBox *cls = m_window->gallery()->classCombo();
        cls->setCurrentIndex(cls->findData(1)); // dog: 2, 5, 8, 11
        QCOMPARE(model->rowCount(), 2);
        QCOMPARE(model->sampleIdAt(0), qint64(5));
        cls->setCurrentIndex(cls->findData(-1));
        model->setRanking({});
        QVERIFY(!model->hasRanking());
        QCOMPARE(model->rowCount(), 12);
        // The panel's button asks for the shown sample.
        LabellingPanel *lp = m_window->panel();
        lp->setFindSimilarAvailable(false);
        QVERIFY(lp->findSimilarButton()->isHidden());
        lp->setFindSimilarAvailable(true);
        QVERIFY(!lp->findSimilarButton()->isHidden());
        QSignalSpy asked(lp, &LabellingPanel::findSimilarRequested);
        m_window->gallery()->setCurrentSample(4);
        lp->findSimilarButton()->click();
        QCOMPARE(asked.count(), 1);
        QCOMPARE(asked.at(0).at(0).toLongLong(), qint64(4));
    }

    void findSimilar()
    {
        // Embeddings on a line: sample k at (k, 0, 0, 0). The nearest to #5 are #4 and #6.
        m_dir = std::make_unique<QTemporaryDir>();
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error, 12);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        addRunWithEmbeddings(4, [](qint64 id, int d) { return d == 0 ? float(id) : 0.f; });
        {
            ProjectStore store; // a layout for the scatter part below: sample k at (k, k % 3)
            QVERIFY(store.open(m_file, &error));
            Layout layout;
            layout.kind = QStringLiteral("embedding");
            for (qint64 id = 1; id <= 12; ++id) {
                layout.sampleIds.push_back(id);
                layout.xy.push_back(float(id));
                layout.xy.push_back(float(id % 3));
            }
            QVERIFY(store.saveLayout(store.latestRun()->id, layout, &error));
        }
        m_window = std::make_unique<MainWindow>();
        QVERIFY2(m_window->openProject(m_file, &error), qPrintable(error));
        m_window->resize(1200, 800);
        m_window->show();
        QComboBox *sort = m_window->gallery()->sortCombo();
        sort->setCurrentIndex(sort->findData(int(GalleryModel::SortOrder::Id)));
        GalleryModel *model = m_window->gallery()->model();
        LabellingPanel *lp = m_window->panel();
        QVERIFY(!lp->findSimilarButton()->isHidden());
        auto *showAll = m_window->findChild<QPushButton *>(QStringLiteral("showAllSamples"));
        QVERIFY(showAll && showAll->isHidden());

        QVERIFY(m_window->gallery()->setCurrentSample(5));
        lp->findSimilarButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(model->hasRanking(), 20000);
        QCOMPARE(model->rowCount(), 12); // the query and its 11 neighbours (k = 200 > 11)
        QCOMPARE(model->sampleIdAt(0), qint64(5));
        const QSet<qint64> nextTwo{model->sampleIdAt(1), model->sampleIdAt(2)};
        QCOMPARE(nextTwo, (QSet<qint64>{4, 6}));
        QCOMPARE((QSet<qint64>{model->sampleIdAt(3), model->sampleIdAt(4)}), (QSet<qint64>{3, 7}));
        QCOMPARE(model->sampleIdAt(11), qint64(12)); // farthest
        QVERIFY(!showAll->isHidden());
        QCOMPARE(m_window->gallery()->currentSampleId(), qint64(5));

        // From a scatter selection: the mean of #1 and #2 is nearest to #3, then #4.
        showAll->click();
        QVERIFY(!model->hasRanking());
        ScatterPanel *panel = m_window->scatter();
        m_window->tabs()->setCurrentWidget(panel);
        panel->view()->selectPolygon(screenBox(panel->view(), 1, 2));
        QCOMPARE(panel->selectedSampleIds(), (QVector<qint64>{1, 2}));
        Q_EMIT panel->findSimilarRequested(panel->selectedSampleIds());
        QTRY_VERIFY(model->hasRanking());
        QCOMPARE(m_window->tabs()->currentWidget(), static_cast<QWidget *>(m_window->gallery()));
        QCOMPARE(model->sampleIdAt(0), qint64(1));
        QCOMPARE(model->sampleIdAt(1), qint64(2));
        QCOMPARE(model->sampleIdAt(2), qint64(3));
        QCOMPARE(model->sampleIdAt(3), qint64(4));

        // Sub-cluster colouring: k-means of each class's embeddings (4 samples each: 2 clusters).
        panel->setColorBy(ScatterPanel::ColorBy::Subcluster);
        QTRY_VERIFY_WITH_TIMEOUT(panel->hasSubclusters(), 20000);
        QSet<int> clustersOfClass0;
        for (qint64 id = 1; id <= 12; ++id) {
            const int c = panel->subclusterOf(id);
            QVERIFY2(c == 0 || c == 1, qPrintable(QString::number(c)));
            if (id % 3 == 1)
                clustersOfClass0.insert(c);
        }
        QCOMPARE(clustersOfClass0, (QSet<int>{0, 1}));

        // A sub-cluster legend entry selects that cluster of the filtered class (issue 17).
        panel->view()->setSelection({});
        QComboBox *classCombo = m_window->gallery()->classCombo();
        classCombo->setCurrentIndex(classCombo->findData(0));
        panel->refreshColors();
        const int c1 = panel->subclusterOf(1);
        QVERIFY2(panel->legend()->text().contains(QStringLiteral("subcluster:%1").arg(c1)),
                 qPrintable(panel->legend()->text()));
        QVERIFY(panel->activateLegendEntry(QStringLiteral("subcluster:%1").arg(c1)));
        QVector<qint64> expected;
        for (qint64 id : {1, 4, 7, 10})
            if (panel->subclusterOf(id) == c1)
                expected.push_back(id);
        QVERIFY(!expected.isEmpty());
        QCOMPARE(panel->selectedSampleIds(), expected);
        QCOMPARE(m_window->gallery()->selectedSampleIds().size(), expected.size());
    }

    void legendEntriesFilter()
    {
        openProjectWithLayout();
        ScatterPanel *panel = m_window->scatter();
        GalleryWidget *g = m_window->gallery();
        panel->setColorBy(ScatterPanel::ColorBy::Class);
        QVERIFY2(panel->legend()->text().contains(QStringLiteral("href='class:1'")), qPrintable(panel->legend()->text()));
        // A class entry: the gallery shows that class, the other points are dimmed; again: all.
        QVERIFY(panel->activateLegendEntry(QStringLiteral("class:1")));
        QCOMPARE(g->model()->classFilter(), 1);
        QCOMPARE(g->model()->rowCount(), 4); // ids 2, 5, 8, 11
        QVERIFY(panel->view()->isSelectable(panel->pointOfSample(2)));
        QVERIFY(!panel->view()->isSelectable(panel->pointOfSample(1)));
        QVERIFY(panel->legend()->text().contains(QStringLiteral("<b>dog</b>")));
        QVERIFY(panel->activateLegendEntry(QStringLiteral("class:1")));
        QCOMPARE(g->model()->classFilter(), -1);
        QCOMPARE(g->model()->rowCount(), 12);
        QVERIFY(panel->view()->isSelectable(panel->pointOfSample(1)));

        // A category entry: the gallery's category filter.
        panel->setColorBy(ScatterPanel::ColorBy::Category);
        const QString hard = QStringLiteral("category:%1").arg(int(Category::Hard));
        QVERIFY(panel->legend()->text().contains(hard));
        QVERIFY(panel->activateLegendEntry(hard));
        QCOMPARE(g->categoryCombo()->currentData().toInt(), int(Category::Hard));
        QCOMPARE(g->model()->rowCount(), 4); // ids 2, 4, 8, 10
        QVERIFY(panel->view()->isSelectable(panel->pointOfSample(4)));
        QVERIFY(!panel->view()->isSelectable(panel->pointOfSample(1)));
        QVERIFY(panel->activateLegendEntry(hard));
        QCOMPARE(g->categoryCombo()->currentIndex(), 0);
        QVERIFY(!panel->activateLegendEntry(QStringLiteral("nonsense")));
        QVERIFY(!panel->activateLegendEntry(QStringLiteral("class:99")));
    }

    void flaggedPointsLargerAndOnTop()
    {
        // Category colouring: hard and need-review points are emphasised, easy ones not.
        openProjectWithLayout();
        ScatterPanel *panel = m_window->scatter();
        panel->setColorBy(ScatterPanel::ColorBy::Category);
        QVERIFY(panel->view()->isEmphasised(panel->pointOfSample(2)));  // hard
        QVERIFY(panel->view()->isEmphasised(panel->pointOfSample(3)));  // need review
        QVERIFY(!panel->view()->isEmphasised(panel->pointOfSample(1))); // easy
        panel->setColorBy(ScatterPanel::ColorBy::Class);
        QVERIFY(!panel->view()->isEmphasised(panel->pointOfSample(2)));

        // Painted: an emphasised red point under a green one at the same place comes out on top
        // and one pixel larger, whatever the drawing order.
        ScatterView v;
        v.resize(200, 200);
        v.setPoints({0.f, 0.f, 0.f, 0.f, 10.f, 10.f, -10.f, -10.f});
        const std::uint32_t red = 0xffd7301f, green = 0xff2e9e44;
        v.setColors({red, green, green, green});
        v.setEmphasis({1, 0, 0, 0});
        const QImage &img = v.render();
        const int s = v.effectivePointSize();
        int reds = 0, greens = 0;
        const QPoint c = v.toScreen(QPointF(0, 0)).toPoint();
        for (int y = c.y() - 6; y <= c.y() + 6; ++y)
            for (int x = c.x() - 6; x <= c.x() + 6; ++x) {
                reds += img.pixel(x, y) == red;
                greens += img.pixel(x, y) == green;
            }
        QCOMPARE(reds, (s + 1) * (s + 1));
        QCOMPARE(greens, 0);
        // Without emphasis both are the same size: one of them covers the other exactly.
        v.setEmphasis({});
        const QImage &plain = v.render();
        reds = greens = 0;
        for (int y = c.y() - 6; y <= c.y() + 6; ++y)
            for (int x = c.x() - 6; x <= c.x() + 6; ++x) {
                reds += plain.pixel(x, y) == red;
                greens += plain.pixel(x, y) == green;
            }
        QCOMPARE(reds + greens, s * s);
    }

    void lassoRelabelAndExport()
    {
        openProjectWithLayout();
        ScatterPanel *panel = m_window->scatter();
        ScatterView *v = panel->view();
        v->selectPolygon(screenBox(v, 7, 10));
        QCOMPARE(panel->selectedSampleIds(), (QVector<qint64>{7, 8, 9, 10}));
        // One action relabels the whole selection as "bird, small" (label 2).
        Q_EMIT panel->relabelRequested(2);
        ProjectStore store;
        QString error;
        QVERIFY(store.open(m_file, &error));
        for (qint64 id : {7, 8, 9, 10})
            QCOMPARE(store.sample(id)->label, 2);
        QCOMPARE(store.sample(6)->label, m_window->session()->row(5).givenLabel);
        // Coloured by class, the relabelled points repaint with class 2's colour.
        panel->setColorBy(ScatterPanel::ColorBy::Class);
        const QString csv = m_dir->filePath(QStringLiteral("sel.csv"));
        QVERIFY2(panel->exportSelectionCsv(csv, &error), qPrintable(error));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 5);
        QCOMPARE(lines.at(0), QStringLiteral("id,path,given_label,label"));
        QVERIFY(lines.at(1).startsWith(QStringLiteral("7,")));
        QVERIFY(lines.at(1).endsWith(QStringLiteral(",\"bird, small\"")));
        // Excluding goes through the same decision code.
        v->selectPolygon(screenBox(v, 1, 2));
        Q_EMIT panel->excludeRequested();
        ProjectStore again;
        QVERIFY(again.open(m_file, &error));
        QVERIFY(again.sample(1)->excluded && again.sample(2)->excluded);
        QVERIFY(!again.sample(3)->excluded);
    }
};

QTEST_MAIN(TestScatterView)
#include "tst_scatterview.moc"
