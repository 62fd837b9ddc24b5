#pragma once
// Exports of the cleaned dataset. Plain functions that run on any thread over a snapshot of the
// samples; progress is reported through an atomic counter and cancel is polled per sample.
//
// One numbering everywhere: N is the sample's id in the project (SampleRow::id; 1, 2, ... in
// import order, unchanged by relabelling or exclusion). It is the CSV's id column and the name
// N.png of the sample's image file in both exports, so a row and its file always match.
//
//  - CSV: header `id,path,label,category,relabelled,excluded,split` (split: train or test; a
//    sample without one counts as train), one line per sample (excluded and unlabelled ones
//    included) in id order. label is the current class name (empty when unlabelled), category
//    the latest run's ("easy", "hard", "need_review", "unknown"), relabelled/excluded 1 or 0.
//    Fields are quoted (RFC 4180) where needed. path:
//      - an ordinary image file: its own path as the project stores it (normally absolute);
//      - a container sample (isContainerSample: an image inside an IDX file) without
//        CsvExportOptions::writeImages: `<idxfile>#<index>` (index from 0 inside the IDX file;
//        only Labelscope reads it);
//      - a container sample with writeImages: the PNG written for it beside the CSV,
//        `<csvname>_images/<split>/<N>.png`, relative to the CSV's folder (<csvname>: the CSV's
//        file name without its last suffix), so the CSV and its folder can move together.
//    The image files are written into a temporary folder beside the CSV, which then replaces
//    `<csvname>_images` as a whole, and the CSV is written atomically (base/savefile.h) last:
//    on any error or cancel the old CSV and the old image folder (if any) stay as they were and
//    nothing of this export remains. An existing `<csvname>_images` that holds anything but an
//    earlier export (train/ and test/ folders of PNG files) is refused, never replaced.
//  - ImageFolder: root/train/<class>/<N>.png and root/test/<class>/<N>.png (a sample without a
//    split counts as train) for every kept sample (not excluded, labelled) under its final
//    label, written as PNG from the decoded pixels at their native size. Class names are made
//    safe as folder names ('/' and other unsafe characters become '_'), and root/classes.txt
//    lists `<folder>\t<original name>` in label order. A split without kept samples gets no folder.

#include "base/category.h"
#include "base/projectstore.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <vector>

namespace labelscope::ui {

struct ExportSnapshot {
    QStringList classes;
    std::vector<SampleRow> rows;
    std::vector<Category> categories; ///< aligned with rows (Unknown when no run)
};

struct ExportStatus {
    std::atomic<qint64> done{0};
    std::atomic<qint64> total{0};
    std::atomic_bool cancel{false};
};

struct ExportResult {
    bool ok = false;
    bool cancelled = false;
    qint64 written = 0;   ///< CSV lines or images written
    qint64 images = 0;    ///< image files written beside a CSV (CsvExportOptions::writeImages)
    qint64 failed = 0;    ///< images that could not be read or written
    QString error;        ///< the first error
};

/// Quotes FIELD for CSV when it holds a comma, quote, CR/LF or leading/trailing space.
QString csvField(const QString &field);
/// A class name made safe as a single folder name.
QString safeFolderName(const QString &name);

struct CsvExportOptions {
    /// Write every container sample as `<csvname>_images/<split>/<N>.png` beside the CSV and put
    /// that relative path in the CSV (see the header comment). A sample that cannot be decoded
    /// or written makes the whole export fail with an error naming the sample and the file.
    bool writeImages = false;
};

/// True when SAMPLE's pixels live inside a container file (an IDX file: source "idx" or an
/// offset), i.e. its path is `<file>#<index>` that no other tool opens.
bool isContainerSample(const Sample &sample);
/// The number of container samples in SNAPSHOT (the window asks about image files when > 0).
qint64 containerSampleCount(const ExportSnapshot &snapshot);
/// The folder of the image files beside CSVFILE: `<folder of CSVFILE>/<csvname>_images`.
QString csvImagesFolder(const QString &csvFile);
/// The sample's split as the exports name it: "test", or "train" (also for no split).
QString exportSplit(const SampleRow &row);

/// Writes the CSV. Errors (ok false, error set): the CSV cannot be created ("FILE: cannot
/// write: <cause>"), an image folder cannot be created, or (writeImages) a sample cannot be
/// decoded or its PNG written; then nothing of this export is left behind.
ExportResult exportCsv(const ExportSnapshot &snapshot, const QString &file, ExportStatus *status = nullptr,
                       const CsvExportOptions &options = {});
/// Writes the per-split ImageFolder tree under ROOT (created when missing; files of an earlier
/// export with the same names are replaced). Fatal (ok false): ROOT, a folder or classes.txt
/// cannot be created. A sample that cannot be decoded or written is counted in failed (error:
/// the first such failure) and the export goes on.
ExportResult exportImageFolder(const ExportSnapshot &snapshot, const QString &root,
                               ExportStatus *status = nullptr);

} // namespace labelscope::ui
