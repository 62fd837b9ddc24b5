#pragma once
// Runs an export as a job of the window's job runner (ui/uicommon.h jobRunnerFor, job name
// "export") with a cancellable QProgressDialog, and reports the outcome in the window's status
// bar (or a message box for errors).

#include "exporter.h"

#include <QString>

#include <functional>

class QMainWindow;

namespace labelscope::ui {

class ReviewSession;

/// A copy of what the exports need (cheap: the strings are shared), safe to use on any thread.
ExportSnapshot exportSnapshot(const ReviewSession &session);

/// Starts JOB through the window's job runner. The dialog shows status->done / status->total and
/// its Cancel button cancels the job (status->cancel). WHAT names the written things ("rows",
/// "images"). The runner's finished("export", ...) signal follows the report.
void runExportWithProgress(QMainWindow *window, const QString &title, std::function<ExportResult(ExportStatus *)> job,
                           const QString &what);

/// The job name of exports in the window's runner.
QString exportJobName();

} // namespace labelscope::ui
