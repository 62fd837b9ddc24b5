#pragma once
// Internal to core/base: the IDX (MNIST) reader's pieces that dataset.cpp needs beyond readIdx().

#include "dataset.h"

#include <QString>
#include <QStringList>

namespace labelscope {

/// The header of an IDX images file: count × rows × cols unsigned bytes.
struct IdxImagesHeader {
    qint64 count = 0;
    int rows = 0, cols = 0;
};

/// Reads and checks only the header of an IDX images file (gzipped or not).
bool readIdxImagesHeader(const QString &imagesFile, qint64 maxPixels, IdxImagesHeader *header,
                         QString *error);

/// readIdx() with fixed class names: when `classes` is not empty, a label >= classes.size() is
/// refused (error naming the labels file and the label's byte offset) and dataset.classes =
/// classes. With empty `classes`, the names are "0".."9", or "0".."max label" when larger.
LoadResult readIdxWithClasses(const QString &imagesFile, const QString &labelsFile,
                              const QString &split, const QStringList &classes,
                              const LoadOptions &options);

/// Image `index` of an IDX images file, read once per process and cached (thread-safe).
bool idxCachedImage(const QString &imagesFile, qint64 index, DecodedImage *out, QString *error);

} // namespace labelscope
