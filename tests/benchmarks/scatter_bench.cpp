// Scatter view benchmark (offscreen): N points (default 1,000,000) in a t-SNE-like layout —
// 10 Gaussian clusters plus a uniform background — drawn in a 1280 × 800 ScatterView.
// Prints, in milliseconds: the grid build; a full redraw (render() into the cached QImage) at
// every step of a pan, and the whole paint path (QWidget::render: cache blit + overlays); the
// same zoomed in 4×; with 30 % of the points filtered out (dimmed pass); a lasso selection of
// about a quarter and of most of the points (selectPolygon: screen→data, grid query, selection
// update) and a brute-force PNPOLY pass over all points for comparison. Asserts nothing.
//
//   build/tests/scatter_bench [N] [repeats]
//   build/tests/scatter_bench --sync [N]   scatter ↔ gallery selection sync in the review window
//                                          on a fixture project of N samples (default 60,000)

#include "ui/uifixture.h"

#include "gallerymodel.h"
#include "gallerywidget.h"
#include "mainwindow.h"
#include "pointgrid.h"
#include "scatterpanel.h"
#include "scatterview.h"

#include <QComboBox>
#include <QListView>
#include <QTabWidget>
#include <QTemporaryDir>

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QRandomGenerator>
#include <QTextStream>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <tuple>
#include <vector>

using labelscope::ui::PointGrid;
using labelscope::ui::ScatterView;

namespace {
// CPU time of this thread: the figure that does not depend on what else the 2 cores are doing.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

struct Stats {
    double median, p95, max;
};

Stats stats(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v[std::min(v.size() - 1, std::size_t(double(v.size()) * 0.95))], v.back()};
}

void print(const char *what, const Stats &s, const Stats &cpu)
{
    std::printf("%-58s wall median %6.2f  p95 %6.2f  max %6.2f ms | CPU median %6.2f  p95 %6.2f ms\n", what,
                s.median, s.p95, s.max, cpu.median, cpu.p95);
}

QPolygonF freehandLasso(QPointF centre, double rx, double ry, int vertices, QRandomGenerator &rng)
{
    QPolygonF p;
    for (int v = 0; v < vertices; ++v) {
        const double a = 2 * M_PI * v / vertices;
        const double wobble = 1.0 + 0.08 * std::sin(7 * a) + 0.03 * (rng.generateDouble() - 0.5);
        p << centre + QPointF(rx * wobble * std::cos(a), ry * wobble * std::sin(a));
    }
    return p;
}

QString loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("?");
    return QString::fromLatin1(f.readAll()).section(QLatin1Char(' '), 0, 2);
}
} // namespace

int syncBench(int n)
{
    using namespace labelscope;
    using namespace labelscope::ui;
    QTemporaryDir dir;
    QString error;
    QElapsedTimer t;
    t.start();
    const QString file = testing::makeFixtureProject(dir.path(), &error, n);
    if (file.isEmpty()) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    {
        ProjectStore store;
        if (!store.open(file, &error))
            return 1;
        Layout layout;
        layout.kind = QStringLiteral("embedding");
        QRandomGenerator rng(3);
        for (qint64 id = 1; id <= n; ++id) {
            layout.sampleIds.push_back(id);
            layout.xy.push_back(float(rng.generateDouble() * 100));
            layout.xy.push_back(float(rng.generateDouble() * 100));
        }
        if (!store.saveLayout(store.latestRun()->id, layout, &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
    }
    std::printf("sync: fixture of %d samples with a random layout in %lld ms\n", n, t.elapsed());
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    t.restart();
    if (!w.openProject(file, &error))
        return 1;
    std::printf("%-58s %7lld ms\n", "open project (gallery + scatter + statistics counts)", t.elapsed());
    ScatterPanel *panel = w.scatter();
    w.tabs()->setCurrentWidget(panel);
    ScatterView *view = panel->view();
    QApplication::processEvents();
    for (double r : {0.1, 0.3, 0.6}) {
        // A square lasso over a share r of the (uniform) layout's area, gallery noise-sorted, so the
        // selected rows are scattered over the gallery.
        const double side = std::sqrt(r) * 100;
        QPolygonF lasso;
        for (QPointF d : {QPointF(0, 0), QPointF(side, 0), QPointF(side, side), QPointF(0, side)})
            lasso << view->toScreen(d);
        view->setSelection({});
        w.gallery()->view()->selectionModel()->clearSelection();
        QApplication::processEvents();
        t.restart();
        view->selectPolygon(lasso); // emits selectionEdited → gallery selection
        const double pushMs = double(t.nsecsElapsed()) / 1e6;
        const int gallerySelected = int(w.gallery()->selectedSampleIds().size());
        // And back: a gallery selection of the same rows shows in the scatter.
        const QItemSelection sel = w.gallery()->view()->selectionModel()->selection();
        w.gallery()->view()->selectionModel()->clearSelection();
        t.restart();
        w.gallery()->view()->selectionModel()->select(sel, QItemSelectionModel::Select);
        const double pullMs = double(t.nsecsElapsed()) / 1e6;
        char buf[120];
        std::snprintf(buf, sizeof buf, "lasso %2.0f%% -> gallery (%d rows) / gallery -> scatter", r * 100,
                      gallerySelected);
        std::printf("%-58s %7.1f ms / %7.1f ms (%zu points)\n", buf, pushMs, pullMs, view->selection().size());
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    if (argc > 1 && QByteArray(argv[1]) == "--sync") {
        std::printf("load average before: %s\n", qPrintable(loadAverage()));
        const int rc = syncBench(argc > 2 ? std::max(10, std::atoi(argv[2])) : 60000);
        std::printf("load average after: %s\n", qPrintable(loadAverage()));
        return rc;
    }
    const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1000000;
    const int repeats = argc > 2 ? std::max(3, std::atoi(argv[2])) : 60;
    std::printf("scatter_bench: %d points, %d repeats, load average before: %s\n", n, repeats,
                qPrintable(loadAverage()));

    QRandomGenerator rng(42);
    std::vector<float> xy(std::size_t(n) * 2);
    std::vector<std::uint32_t> colours(static_cast<std::size_t>(n));
    static const std::uint32_t palette[10] = {0xff1f77b4, 0xffff7f0e, 0xff2ca02c, 0xffd62728, 0xff9467bd,
                                              0xff8c564b, 0xffe377c2, 0xff7f7f7f, 0xffbcbd22, 0xff17becf};
    for (int i = 0; i < n; ++i) {
        const int k = i % 10;
        double x, y;
        if (i % 20 == 19) { // background
            x = (rng.generateDouble() - 0.5) * 200;
            y = (rng.generateDouble() - 0.5) * 200;
        } else {
            const double a = 2 * M_PI * k / 10;
            const double u1 = std::max(1e-12, rng.generateDouble()), u2 = rng.generateDouble();
            const double r = std::sqrt(-2 * std::log(u1)) * 9;
            x = 60 * std::cos(a) + r * std::cos(2 * M_PI * u2);
            y = 60 * std::sin(a) + r * std::sin(2 * M_PI * u2);
        }
        xy[std::size_t(i) * 2] = float(x);
        xy[std::size_t(i) * 2 + 1] = float(y);
        colours[std::size_t(i)] = palette[k];
    }

    ScatterView view;
    view.resize(1280, 800);
    QElapsedTimer t;
    t.start();
    view.setPoints(xy);
    const double buildMs = double(t.nsecsElapsed()) / 1e6;
    view.setColors(colours);
    std::printf("%-58s %7.2f ms (grid %d x %d, point size %d px)\n", "setPoints (copy + grid build)", buildMs,
                view.grid().columns(), view.grid().rows(), view.effectivePointSize());

    QImage target(view.size(), QImage::Format_RGB32);
    auto panRun = [&](const char *label) {
        std::vector<double> render, paint, renderCpu, paintCpu;
        for (int r = 0; r < repeats; ++r) {
            view.panBy(QPointF(r % 2 ? -9 : 7, r % 3 ? 5 : -4));
            double c0 = threadCpuMs();
            t.restart();
            view.render();
            render.push_back(double(t.nsecsElapsed()) / 1e6);
            renderCpu.push_back(threadCpuMs() - c0);
            view.panBy(QPointF(3, 2));
            c0 = threadCpuMs();
            t.restart();
            view.QWidget::render(&target); // paintEvent: re-render (dirty) + blit + overlays
            paint.push_back(double(t.nsecsElapsed()) / 1e6);
            paintCpu.push_back(threadCpuMs() - c0);
        }
        print((std::string("full redraw while panning, ") + label).c_str(), stats(render), stats(renderCpu));
        print((std::string("paint event while panning, ") + label).c_str(), stats(paint), stats(paintCpu));
    };
    view.fitToView();
    panRun("all in view");
    view.zoomAt(QPointF(640, 400), 4.0);
    panRun("zoomed 4x");
    view.fitToView();

    // 30 % filtered out: the dimmed pass.
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        mask[std::size_t(i)] = (i % 10) >= 3;
    view.setSelectable(mask);
    panRun("30% filtered (dimmed)");
    view.setSelectable({});
    view.fitToView();

    // Lassos in screen coordinates around the view centre.
    for (const auto &[label, rx, ry] : {std::tuple{"lasso ~quarter of the points (400 vertices)", 260.0, 200.0},
                                        std::tuple{"lasso most of the points (400 vertices)", 600.0, 390.0}}) {
        std::vector<double> times, cpu;
        std::size_t selected = 0;
        for (int r = 0; r < std::max(5, repeats / 3); ++r) {
            const QPolygonF lasso = freehandLasso(QPointF(640 + r % 5, 400 - r % 3), rx, ry, 400, rng);
            view.setSelection({});
            const double c0 = threadCpuMs();
            t.restart();
            view.selectPolygon(lasso);
            times.push_back(double(t.nsecsElapsed()) / 1e6);
            cpu.push_back(threadCpuMs() - c0);
            selected = view.selection().size();
        }
        char buf[160];
        std::snprintf(buf, sizeof buf, "%s: %zu sel.", label, selected);
        print(buf, stats(times), stats(cpu));
        // Redraw with that selection on top (the first one also rebuilds the draw levels).
        std::vector<double> render, renderCpu;
        for (int r = 0; r < std::max(5, repeats / 3); ++r) {
            view.panBy(QPointF(r % 2 ? -5 : 5, 0));
            const double c0 = threadCpuMs();
            t.restart();
            view.render();
            render.push_back(double(t.nsecsElapsed()) / 1e6);
            renderCpu.push_back(threadCpuMs() - c0);
        }
        print("  full redraw with that selection", stats(render), stats(renderCpu));
    }
    {
        // The same query without the grid (what a naive view would do), once.
        const QPolygonF lasso = freehandLasso(QPointF(640, 400), 260, 200, 400, rng);
        QPolygonF data;
        for (const QPointF &p : lasso)
            data << view.toData(p);
        t.restart();
        std::size_t hits = 0;
        for (int i = 0; i < n; ++i)
            hits += PointGrid::polygonContains(data, view.grid().x(i), view.grid().y(i));
        std::printf("%-58s %7.2f ms (%zu points)\n", "brute-force PNPOLY over all points, quarter lasso",
                    double(t.nsecsElapsed()) / 1e6, hits);
    }
    {
        std::vector<double> times, cpu;
        for (int r = 0; r < repeats; ++r) {
            const double c0 = threadCpuMs();
            t.restart();
            volatile int p = view.pointAt(QPointF(100 + 17 * r, 80 + 11 * r));
            (void)p;
            times.push_back(double(t.nsecsElapsed()) / 1e6);
            cpu.push_back(threadCpuMs() - c0);
        }
        print("hover hit-test (pointAt)", stats(times), stats(cpu));
    }
    std::printf("load average after: %s\n", qPrintable(loadAverage()));
    if (argc > 3) // optional: save a picture of the last frame
        view.render().save(QString::fromLocal8Bit(argv[3]));
    return 0;
}
