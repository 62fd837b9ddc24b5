// Screenshot of the review window's "Dataset health" page on a checked project (for docs/):
// opens PROJECT (after `labelscope check` or `analyze`), shows the page with the table of issue
// types per class, selects the first duplicate set that spans train and test, and saves the
// window as OUT.png.
//
//   QT_QPA_PLATFORM=offscreen build/tests/health_screenshot PROJECT OUT.png

#include "healthpage.h"
#include "screenshot_window.h"

#include <QApplication>
#include <QListWidget>
#include <QTabWidget>
#include <QTest>

#include <cstdio>

using namespace labelscope::ui;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s PROJECT OUT.png\n", argv[0]);
        return 2;
    }
    MainWindow window;
    if (!labelscope::benchmarks::openForScreenshot(window, argv[1], 1600, 1000))
        return 1;
    window.tabs()->setCurrentWidget(window.healthPage());
    QListWidget *sets = window.healthPage()->sets();
    for (int row = 0; row < sets->count(); ++row)
        if (sets->item(row)->text().contains(QLatin1String("train and test"))) {
            sets->setCurrentRow(row);
            sets->scrollToItem(sets->item(row));
            break;
        }
    QTest::qWait(300);
    return labelscope::benchmarks::saveScreenshot(window, argv[2]) ? 0 : 1;
}
