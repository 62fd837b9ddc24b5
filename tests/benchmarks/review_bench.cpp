// Review window benchmark (offscreen; issue 17): on a fixture project of N samples (default
// 60,000, with a finished run), prints in milliseconds
//   - opening the project in the window (MainWindow::openProject) and until the first repaint;
//   - keystroke-to-repaint latency over 100 decisions (K, 1, 2, 3 in turn on the shown sample):
//     from the key press until the gallery's viewport has painted, median / p95 / max;
//   - a bulk relabel of 10,000 selected samples (one key, no confirmation) until the repaint.
// Asserts nothing.
//
//   build/tests/review_bench [N]

#include "ui/uifixture.h"

#include "gallerymodel.h"
#include "gallerywidget.h"
#include "mainwindow.h"
#include "reviewsession.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QItemSelection>
#include <QListView>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>

using namespace labelscope;
using namespace labelscope::ui;

namespace {
class PaintWatch : public QObject {
public:
    bool painted = false;
    bool eventFilter(QObject *, QEvent *e) override
    {
        if (e->type() == QEvent::Paint)
            painted = true;
        return false;
    }
};

double untilPainted(PaintWatch &watch, QElapsedTimer &t)
{
    while (!watch.painted && t.elapsed() < 10000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    return double(t.nsecsElapsed()) / 1e6;
}
} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int n = argc > 1 ? std::atoi(argv[1]) : 60000;
    QTemporaryDir dir;
    QString error;
    QElapsedTimer t;
    t.start();
    const QString file = testing::makeFixtureProject(dir.path(), &error, n);
    if (file.isEmpty()) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    std::printf("fixture of %d samples written in %lld ms\n", n, t.elapsed());

    MainWindow w;
    w.resize(1440, 900);
    w.show();
    if (!QTest::qWaitForWindowExposed(&w))
        return 3;
    PaintWatch watch;
    QListView *view = w.gallery()->view();
    view->viewport()->installEventFilter(&watch);
    watch.painted = false;
    t.start();
    if (!w.openProject(file, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 4;
    }
    const double openMs = double(t.nsecsElapsed()) / 1e6;
    const double openPaintMs = untilPainted(watch, t);
    std::printf("open %d samples: openProject %.0f ms, until the gallery painted %.0f ms\n", n, openMs, openPaintMs);

    view->setFocus();
    w.activateWindow();
    QTest::qWaitForWindowActive(&w);
    const Qt::Key keys[] = {Qt::Key_K, Qt::Key_1, Qt::Key_2, Qt::Key_3};
    std::vector<double> ms;
    for (int i = 0; i < 100; ++i) {
        watch.painted = false;
        t.start();
        QTest::keyClick(view, keys[i % 4]);
        ms.push_back(untilPainted(watch, t));
    }
    std::sort(ms.begin(), ms.end());
    std::printf("keystroke to repaint, 100 decisions: median %.1f ms, p95 %.1f ms, max %.1f ms\n", ms[50], ms[94],
                ms.back());

    w.setBulkConfirmThreshold(1 << 30);
    GalleryModel *model = w.gallery()->model();
    // 10,000 rows spread over the gallery (every sixth), as a lasso in the scatter view picks them.
    QItemSelection sel;
    for (int r = 0, picked = 0; r < model->rowCount() && picked < 10000; r += std::max(1, model->rowCount() / 10000), ++picked)
        sel.select(model->index(r), model->index(r));
    view->selectionModel()->select(sel, QItemSelectionModel::ClearAndSelect);
    const int selected = int(w.gallery()->selectedSampleIds().size());
    watch.painted = false;
    t.start();
    QTest::keyClick(view, Qt::Key_2);
    const double bulkMs = untilPainted(watch, t);
    std::printf("bulk relabel of %d selected samples until repaint: %.0f ms\n", selected, bulkMs);
    return 0;
}
