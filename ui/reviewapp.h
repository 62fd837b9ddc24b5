#pragma once
// Entry point of the review window, called by app/main.cpp.

#include <QString>

namespace labelscope::ui {

/// Shows the main window with the project open (empty path → start page with "Open project…"
/// and "New analysis…"). Returns the QApplication exec() code. Needs an existing QApplication.
int runReviewWindow(const QString &projectFile);

} // namespace labelscope::ui
