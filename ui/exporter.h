#pragma once
// Exports of the cleaned dataset. Plain functions that run on any thread over a snapshot of the
// samples; progress is reported through an atomic counter and cancel is polled per sample.
//
//  - CSV: header `path,label,category,relabelled,excluded,split` (split: train or test; a
//    sample without one counts as train), one line per sample in id order;
//    path is the image file or `<idxfile>#<offset>`, label the current class name (empty when
//    unlabelled), category the latest run's ("easy", "hard", "need_review", "unknown"),
//    relabelled/excluded 1 or 0. Fields are quoted (RFC 4180) where needed.
//  - ImageFolder: root/<class>/<id>.png for every kept sample (not excluded, labelled) with its
//    final label, written as PNG from the decoded pixels. Class names are made safe as folder
//    names ('/' and other unsafe characters become '_'), and root/classes.txt lists the original
//    names in label order.

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
    qint64 failed = 0;    ///< images that could not be read or written
    QString error;        ///< the first error
};

/// Quotes FIELD for CSV when it holds a comma, quote, CR/LF or leading/trailing space.
QString csvField(const QString &field);
/// A class name made safe as a single folder name.
QString safeFolderName(const QString &name);

ExportResult exportCsv(const ExportSnapshot &snapshot, const QString &file, ExportStatus *status = nullptr);
ExportResult exportImageFolder(const ExportSnapshot &snapshot, const QString &root,
                               ExportStatus *status = nullptr);

} // namespace labelscope::ui
