// Screenshot of the review window's scatter page on an analysed project (for docs/): opens
// PROJECT, computes the embedding layout with t-SNE if the run has none (stored in the project),
// colours by COLOUR (class, category, disagreement, noise, subcluster: one class), lassos a region to show a selection,
// hovers a point for the thumbnail overlay and saves the window as OUT.
//
//   xvfb-run -a build/tests/scatter_screenshot PROJECT OUT.png [COLOUR] [STATS.png]

#include "gallerywidget.h"
#include "screenshot_window.h"
#include "scatterpanel.h"
#include "scatterview.h"
#include "statisticspage.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QMouseEvent>
#include <QTabWidget>
#include <QTest>

#include <cstdio>

using namespace labelscope;
using namespace labelscope::ui;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s PROJECT OUT.png [class|category|disagreement|noise|subcluster] [STATS.png]\n", argv[0]);
        return 2;
    }
    MainWindow window;
    if (!labelscope::benchmarks::openForScreenshot(window, argv[1], 1600, 1000))
        return 1;
    if (!QTest::qWaitForWindowExposed(&window))
        std::fprintf(stderr, "window not exposed\n");
    ScatterPanel *panel = window.scatter();
    window.tabs()->setCurrentWidget(panel);
    panel->setKind(QStringLiteral("embedding"));
    if (!panel->hasLayout()) {
        QElapsedTimer t;
        t.start();
        bool finished = false, ok = false;
        QString message;
        QObject::connect(panel, &ScatterPanel::layoutComputed, [&](bool good, const QString &m) {
            finished = true;
            ok = good;
            message = m;
        });
        if (!panel->computeLayout()) {
            std::fprintf(stderr, "cannot start the layout\n");
            return 1;
        }
        while (!finished)
            QTest::qWait(100);
        if (!ok) {
            std::fprintf(stderr, "layout failed: %s\n", qPrintable(message));
            return 1;
        }
        std::fprintf(stderr, "embedding layout computed and stored in %.1f s\n", t.elapsed() / 1000.0);
    }
    const QString colour = argc > 3 ? QString::fromLocal8Bit(argv[3]) : QStringLiteral("class");
    panel->setColorBy(colour == QLatin1String("category")       ? ScatterPanel::ColorBy::Category
                      : colour == QLatin1String("disagreement") ? ScatterPanel::ColorBy::Disagreement
                      : colour == QLatin1String("noise")        ? ScatterPanel::ColorBy::NoiseScore
                      : colour == QLatin1String("subcluster")   ? ScatterPanel::ColorBy::Subcluster
                                                                : ScatterPanel::ColorBy::Class);
    if (colour == QLatin1String("subcluster")) {
        while (!panel->hasSubclusters())
            QTest::qWait(100);
        // One class (LABELSCOPE_SHOT_CLASS, default 6 = Shirt) so that its clusters stand out.
        QComboBox *cls = window.gallery()->classCombo();
        cls->setCurrentIndex(cls->findData(qEnvironmentVariableIntValue("LABELSCOPE_SHOT_CLASS")
                                               ? qEnvironmentVariableIntValue("LABELSCOPE_SHOT_CLASS")
                                               : 6));
    }
    ScatterView *view = panel->view();
    QTest::qWait(200);
    // A lasso around a region right of the centre, as a user would draw it.
    const QPointF c(view->width() * 0.62, view->height() * 0.45);
    QPolygonF lasso;
    for (int v = 0; v < 120; ++v) {
        const double a = 2 * M_PI * v / 120;
        lasso << c + QPointF(90 * std::cos(a) * (1 + 0.1 * std::sin(5 * a)), 70 * std::sin(a));
    }
    view->selectPolygon(lasso);
    // Hover the selectable point nearest the view centre for the thumbnail overlay.
    int hover = -1;
    for (int r = 2; r < 200 && hover < 0; r += 4)
        hover = view->pointAt(QPointF(view->width() * 0.35 + r, view->height() * 0.5));
    if (hover >= 0) {
        const QPointF at = view->toScreen({view->grid().x(hover), view->grid().y(hover)});
        QMouseEvent move(QEvent::MouseMove, at, view->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(view, &move);
        QTest::qWait(800); // the thumbnail loads off the GUI thread
        QApplication::sendEvent(view, &move);
    }
    QTest::qWait(300);
    if (!labelscope::benchmarks::saveScreenshot(window, argv[2]))
        return 1;
    std::fprintf(stderr, "%d points, %zu selected; wrote %s\n", view->pointCount(), view->selection().size(), argv[2]);
    if (argc > 4) {
        window.tabs()->setCurrentWidget(window.statistics());
        QElapsedTimer t;
        t.start();
        while (window.statistics()->isComputingImageStats() || t.elapsed() < 500)
            QTest::qWait(100);
        QTest::qWait(300);
        window.grab().save(QString::fromLocal8Bit(argv[4]));
        std::fprintf(stderr, "wrote %s\n", argv[4]);
    }
    return 0;
}
