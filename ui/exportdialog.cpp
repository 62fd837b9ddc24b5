#include "exportdialog.h"

#include "exporter.h"
#include "exportrunner.h"
#include "reviewsession.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMainWindow>
#include <QMessageBox>
#include <QPushButton>

#include <memory>

namespace labelscope::ui {

std::optional<bool> askWriteCsvImages(QWidget *parent, qint64 containers, const QString &csvFile)
{
    QMessageBox box(parent);
    box.setObjectName(QStringLiteral("csvImagesQuestion"));
    box.setIcon(QMessageBox::Question);
    box.setWindowTitle(QObject::tr("Export CSV"));
    box.setText(containers == 1 ? QObject::tr("Also save 1 image as a PNG file?")
                                : QObject::tr("Also save %L1 images as PNG files?").arg(containers));
    box.setInformativeText(
        QObject::tr("These images are stored inside dataset files (IDX). Other tools cannot open "
                    "them from the CSV unless they are saved as PNG files in the folder "
                    "\u201c%1\u201d next to the CSV.")
            .arg(QFileInfo(csvImagesFolder(csvFile)).fileName()));
    QPushButton *write = box.addButton(QObject::tr("Save images"), QMessageBox::AcceptRole);
    write->setObjectName(QStringLiteral("writeImages"));
    QPushButton *paths = box.addButton(QObject::tr("CSV only"), QMessageBox::RejectRole);
    paths->setObjectName(QStringLiteral("pathsOnly"));
    QPushButton *cancel = box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(write);
    box.setEscapeButton(cancel);
    box.exec();
    if (box.clickedButton() == write)
        return true;
    if (box.clickedButton() == paths)
        return false;
    return std::nullopt;
}

void exportCsvInteractive(QMainWindow *window, const ReviewSession &session)
{
    if (!session.isOpen())
        return;
    const QFileInfo project(session.fileName());
    const QString suggested = project.absoluteDir().filePath(project.completeBaseName() + QStringLiteral("-cleaned.csv"));
    const QString file = QFileDialog::getSaveFileName(window, QObject::tr("Export CSV"), suggested,
                                                      QObject::tr("CSV files (*.csv)"));
    if (file.isEmpty())
        return;
    exportCsvAsking(window, session, file);
}

void exportCsvAsking(QMainWindow *window, const ReviewSession &session, const QString &file)
{
    if (!session.isOpen() || file.isEmpty())
        return;
    auto snap = std::make_shared<ExportSnapshot>(exportSnapshot(session));
    CsvExportOptions options;
    if (const qint64 containers = containerSampleCount(*snap); containers > 0) {
        const std::optional<bool> images = askWriteCsvImages(window, containers, file);
        if (!images)
            return;
        options.writeImages = *images;
    }
    runExportWithProgress(window, QObject::tr("Writing %1\u2026").arg(QFileInfo(file).fileName()),
                          [snap, file, options](ExportStatus *st) { return exportCsv(*snap, file, st, options); },
                          QObject::tr("rows"));
}

} // namespace labelscope::ui
