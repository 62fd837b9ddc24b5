#pragma once
// The File menu's export dialogs (issue 17): which file or folder, and for a CSV of a project
// with samples inside IDX files whether to write those samples as image files beside it.
// The exports themselves are ui/exporter.h; they run through ui/exportrunner.h.

#include <QString>

#include <optional>

class QMainWindow;
class QWidget;

namespace labelscope::ui {

class ReviewSession;

/// Asks whether the CONTAINERS samples stored inside IDX files of a CSV export to CSVFILE are
/// written as PNG files (into csvImagesFolder(CSVFILE), see exporter.h). true: write image
/// files (the default button); false: paths only (`file#index`); nullopt: cancelled. Modal.
std::optional<bool> askWriteCsvImages(QWidget *parent, qint64 containers, const QString &csvFile);

/// "Export CSV…": asks for the file (suggested: `<project>-cleaned.csv` beside the project),
/// then goes on as exportCsvAsking. Does nothing without an open project or when the user cancels.
void exportCsvInteractive(QMainWindow *window, const ReviewSession &session);
/// The rest of "Export CSV…" once FILE is chosen: askWriteCsvImages when the project has
/// container samples (cancel: nothing happens), then exportCsv through runExportWithProgress
/// (the window's runner, job exportJobName()).
void exportCsvAsking(QMainWindow *window, const ReviewSession &session, const QString &file);

} // namespace labelscope::ui
