#pragma once
// Entry point of the review window, called by app/main.cpp.

#include "ml/analysis.h"

#include <QString>

namespace labelscope::ui {

/// Shows the main window with the project open (empty path → start page with "Open project…"
/// and "New analysis…"). Returns the QApplication exec() code. Needs an existing QApplication.
int runReviewWindow(const QString &projectFile);

/// `labelscope analyze ... --open`: shows the main window at once and runs the analysis in it
/// (MainWindow::analyseAndOpen: progress and Cancel in the status bar, the project shown as soon
/// as its samples are imported, the verdicts when the run is saved). Returns the exec() code.
/// Needs an existing QApplication.
int runReviewWindowWithAnalysis(const labelscope::AnalysisParams &params);

} // namespace labelscope::ui
