#pragma once
// Runs an export off the GUI thread with a cancellable QProgressDialog, and reports the outcome
// in the window's status bar (or a message box for errors).

#include "exporter.h"

#include <QFuture>
#include <QString>

#include <functional>

class QMainWindow;

namespace labelscope::ui {

class ReviewSession;

/// A copy of what the exports need (cheap: the strings are shared), safe to use on any thread.
ExportSnapshot exportSnapshot(const ReviewSession &session);

/// Starts JOB on the global thread pool. The dialog shows status->done / status->total and its
/// Cancel button sets status->cancel. WHAT names the written things ("rows", "images").
QFuture<ExportResult> runExportWithProgress(QMainWindow *window, const QString &title,
                                            std::function<ExportResult(ExportStatus *)> job,
                                            const QString &what);

} // namespace labelscope::ui
