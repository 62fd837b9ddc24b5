// Screenshot of one tab of the review window on a project, for checking a layout by eye (many
// classes, long names, a small screen): opens PROJECT, resizes the window to W×H (default
// 1280×720, the smallest screen the window is made for), shows the tab whose title starts with
// TAB ("Gallery", "Confident joint", "Report", …) and saves the window as OUT.png.
//
//   QT_QPA_PLATFORM=offscreen build/tests/window_screenshot PROJECT TAB OUT.png [W H]

#include "screenshot_window.h"

#include <QApplication>
#include <QTabWidget>
#include <QTest>

#include <cstdio>

using namespace labelscope::ui;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s PROJECT TAB OUT.png [W H]\n", argv[0]);
        return 2;
    }
    MainWindow window;
    if (!labelscope::benchmarks::openForScreenshot(window, argv[1], argc > 5 ? std::atoi(argv[4]) : 1280,
                                                   argc > 5 ? std::atoi(argv[5]) : 720))
        return 1;
    const QString tab = QString::fromLocal8Bit(argv[2]);
    int index = -1;
    for (int i = 0; i < window.tabs()->count() && index < 0; ++i)
        if (window.tabs()->tabText(i).remove(QLatin1Char('&')).startsWith(tab, Qt::CaseInsensitive))
            index = i;
    if (index < 0) {
        std::fprintf(stderr, "no tab called %s\n", argv[2]);
        return 2;
    }
    window.tabs()->setCurrentIndex(index);
    QTest::qWait(500);
    return labelscope::benchmarks::saveScreenshot(window, argv[3]) ? 0 : 1;
}
