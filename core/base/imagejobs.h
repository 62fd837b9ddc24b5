#pragma once
// Internal to core/base (the ImageFolder and CSV manifest readers): the list of image files to
// read, decoded in order into a Dataset at the training resolution.

#include "dataset.h"
#include "result.h"

#include <QString>

#include <vector>

class QDir;

namespace labelscope {

/// True for the extensions the readers take as images (png, jpg, jpeg, jpe, bmp, dib, webp,
/// tif, tiff, pbm, pgm, ppm, pnm, heic, heif, hif, avif; any case).
bool hasImageExtension(const QString &fileName);

/// The name of the image format an extension stands for when the readers do not decode it (GIF,
/// JPEG XL, JPEG 2000, SVG, camera raw, ...), so that such files are listed as skipped rather
/// than passed over; empty for other names.
QString unreadImageFormat(const QString &fileName);

/// One image to read.
struct ImageJob {
    QString path;     ///< absolute
    int label = -1;   ///< index into Dataset::classes; -1 = unlabelled
    QString split;
    QString location; ///< "line N" for a CSV row
};

/// Non-empty lines of DIR/classes.txt, trimmed (none when there is no such file). A classes.txt
/// that is a FIFO, device or folder, or that holds more than kMaxClasses lines, is an error.
Result<QStringList> classesTxt(const QDir &dir);

/// The split a folder or a manifest's split column names: "train" for train and training; "test"
/// (the held-out split) for test, testing, val, valid, validation and eval; "" for any other
/// name. Case and surrounding spaces are ignored. (The layout root/<split>/<class>/<image> of
/// torchvision's and Kaggle's datasets and of Labelscope's own ImageFolder export.)
QString splitOfName(const QString &name);

/// Decodes the jobs in order into result.dataset (samples, pixels, skipped), whose `classes` the
/// caller has filled. At most options.limit samples per split, tried in options.limitOrder
/// (across classes: in turn from each class; the samples then come in that order). Returns false with result.error
/// when cancelled, when the image size is invalid, or when no image could be read.
///
/// `classOrigins` [classes.size()] says where each class came from (its folder, or the CSV and
/// the line of its first row) for classes derived from the data; empty when the classes are
/// fixed (classes.txt). A derived class none of whose images could be read is then not created:
/// it leaves Dataset::classes (later labels shift down) and Dataset::skipped says why, at its
/// origin. A class whose images were not all tried (options.limit) is kept: the classes of a
/// dataset do not depend on the limit.
bool readImageJobs(const std::vector<ImageJob> &jobs, const QString &source, const QString &what,
                   const LoadOptions &options, const std::vector<SkippedItem> &classOrigins,
                   LoadResult &result);

} // namespace labelscope
