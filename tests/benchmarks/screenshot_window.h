#pragma once
// What the window screenshot tools (health_screenshot, scatter_screenshot, window_screenshot)
// share: open a project in the review window at a size, and save the window as a PNG, saying on
// stderr why either failed.

#include "mainwindow.h"

#include <QString>

#include <cstdio>

namespace labelscope::benchmarks {

inline bool openForScreenshot(ui::MainWindow &window, const char *project, int width, int height)
{
    QString error;
    if (!window.openProject(QString::fromLocal8Bit(project), &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return false;
    }
    window.resize(width, height);
    window.show();
    return true;
}

inline bool saveScreenshot(QWidget &window, const char *file)
{
    if (window.grab().save(QString::fromLocal8Bit(file)))
        return true;
    std::fprintf(stderr, "cannot write %s\n", file);
    return false;
}

} // namespace labelscope::benchmarks
