// loadDataset(): resolves a dataset spec to one of the readers, and merges the two splits of an
// IDX folder. The readers live in idxreader.cpp and imagereaders.cpp.

#include "dataset.h"
#include "imagejobs.h"
#include "idxreader.h"
#include "sizelimits.h"
#include "regularfile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

namespace labelscope {

QJsonObject SkippedItem::toJson() const
{
    return {{QStringLiteral("file"), file}, {QStringLiteral("location"), location}, {QStringLiteral("reason"), reason}};
}

namespace {

/// Where "fashion-mnist" and "mnist" live; LABELSCOPE_DATASETS_DIR overrides /usr/share/datasets.
QString datasetsRoot()
{
    const QString env = qEnvironmentVariable("LABELSCOPE_DATASETS_DIR");
    return env.isEmpty() ? QStringLiteral("/usr/share/datasets") : env;
}

/// The first of NAMES (each also tried with ".gz") that exists in DIR; "" when none. Anything of
/// that name counts (a FIFO, a folder, a broken or looping link too): the reader then refuses it
/// with its reason, instead of the split going missing without a word.
QString findFile(const QDir &dir, const QStringList &names)
{
    for (const QString &name : names) {
        for (const QString &candidate : {name, name + QStringLiteral(".gz")}) {
            const QFileInfo fi(dir.filePath(candidate));
            if (fi.exists() || fi.isSymLink())
                return fi.absoluteFilePath();
        }
    }
    return QString();
}

struct IdxSplitFiles {
    QString split, images, labels;
};

/// The IDX files of a folder, MNIST naming ("train-images-idx3-ubyte", or Kaggle's
/// "train-images.idx3-ubyte"), train first.
std::vector<IdxSplitFiles> findIdxSplits(const QDir &dir)
{
    std::vector<IdxSplitFiles> splits;
    const std::pair<const char *, const char *> prefixes[] = {{"train", "train"}, {"test", "t10k"}};
    for (const auto &[split, prefix] : prefixes) {
        const QString p = QLatin1String(prefix);
        const QString images = findFile(dir, {p + QStringLiteral("-images-idx3-ubyte"),
                                              p + QStringLiteral("-images.idx3-ubyte")});
        if (images.isEmpty())
            continue;
        const QString labels = findFile(dir, {p + QStringLiteral("-labels-idx1-ubyte"),
                                              p + QStringLiteral("-labels.idx1-ubyte")});
        splits.push_back({QLatin1String(split), images, labels});
    }
    return splits;
}

QStringList digitNames()
{
    QStringList names;
    for (int i = 0; i < 10; ++i)
        names << QString::number(i);
    return names;
}

/// Reads every split of an IDX folder and concatenates them (train, then test).
LoadResult readIdxFolder(const std::vector<IdxSplitFiles> &splits,
                         const QStringList &classes, const LoadOptions &options)
{
    LoadResult result;
    // Headers first, for one progress total over both splits.
    std::vector<qint64> counts;
    qint64 total = 0;
    for (const IdxSplitFiles &s : splits) {
        IdxImagesHeader header;
        if (!readIdxImagesHeader(s.images, options.maxPixels, &header, &result.error))
            return result;
        const qint64 n = options.limit >= 0 ? std::min(options.limit, header.count) : header.count;
        counts.push_back(n);
        total += n;
    }

    Dataset &ds = result.dataset;
    qint64 before = 0;
    for (std::size_t i = 0; i < splits.size(); ++i) {
        LoadOptions splitOptions = options;
        if (options.progress)
            splitOptions.progress = [&options, before, total](qint64 done, qint64) {
                return options.progress(before + done, total);
            };
        LoadResult part = readIdxWithClasses(splits[i].images, splits[i].labels, splits[i].split,
                                             classes, splitOptions);
        if (!part.ok()) {
            result.error = part.error;
            return result;
        }
        Dataset &p = part.dataset;
        if (i == 0) {
            ds.channels = p.channels;
            ds.height = p.height;
            ds.width = p.width;
        } else if (p.height != ds.height || p.width != ds.width) {
            result.error = QStringLiteral("%1: images are %2x%3, but %4 has %5x%6")
                               .arg(splits[i].images).arg(p.height).arg(p.width)
                               .arg(splits[0].images).arg(ds.height).arg(ds.width);
            return result;
        }
        if (p.classes.size() > ds.classes.size())
            ds.classes = p.classes; // derived names are "0".."max": the longer list covers both
        ds.samples.insert(ds.samples.end(), p.samples.begin(), p.samples.end());
        ds.pixels.insert(ds.pixels.end(), p.pixels.begin(), p.pixels.end());
        before += counts[i];
    }
    return result;
}

} // namespace

QStringList fashionMnistClasses()
{
    return {QStringLiteral("T-shirt/top"), QStringLiteral("Trouser"), QStringLiteral("Pullover"),
            QStringLiteral("Dress"),       QStringLiteral("Coat"),    QStringLiteral("Sandal"),
            QStringLiteral("Shirt"),       QStringLiteral("Sneaker"), QStringLiteral("Bag"),
            QStringLiteral("Ankle boot")};
}

QString sampleKey(const Sample &s)
{
    return s.path + QLatin1Char('#') + QString::number(s.offset);
}

bool looksLikeDigits(const QStringList &classes)
{
    for (const auto &c : classes) {
        bool ok = false;
        c.toInt(&ok);
        if (!ok)
            return false;
    }
    return !classes.isEmpty();
}

Result<QStringList> classesTxt(const QDir &dir)
{
    const QString path = dir.filePath(QStringLiteral("classes.txt"));
    QStringList names;
    if (!QFileInfo::exists(path))
        return names;
    if (const Result<> regular = checkRegularFile(path); !regular)
        return Result<QStringList>::failure(regular.error());
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Result<QStringList>::failure(QStringLiteral("%1: cannot open: %2").arg(path, f.errorString()));
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
    for (const QString &line : lines)
        if (!line.trimmed().isEmpty())
            names << line.trimmed();
    if (names.size() > kMaxClasses)
        return Result<QStringList>::failure(QStringLiteral("%1: %2 class names, more than the cap of %3")
                                                .arg(path).arg(names.size()).arg(kMaxClasses));
    return names;
}

QString limitOrderName(LimitOrder order)
{
    return order == LimitOrder::FileOrder ? QStringLiteral("file") : QStringLiteral("classes");
}

LimitOrder limitOrderFromName(const QString &name)
{
    return name == QLatin1String("classes") ? LimitOrder::AcrossClasses : LimitOrder::FileOrder;
}

LoadResult loadDataset(const QString &spec, const LoadOptions &options)
{
    LoadResult result;
    const QString trimmed = spec.trimmed();
    const QString lower = trimmed.toLower();
    QString path = trimmed;
    enum class Known { None, FashionMnist, Mnist } known = Known::None;
    if (lower == QLatin1String("fashion-mnist") || lower == QLatin1String("fashion_mnist")
        || lower == QLatin1String("fashionmnist")) {
        known = Known::FashionMnist;
        path = QDir(datasetsRoot()).filePath(QStringLiteral("fashion-mnist"));
    } else if (lower == QLatin1String("mnist")) {
        known = Known::Mnist;
        path = QDir(datasetsRoot()).filePath(QStringLiteral("mnist"));
    }

    const QFileInfo fi(path);
    if (trimmed.isEmpty()) {
        result.error = QStringLiteral("empty dataset spec");
    } else if (!fi.exists()) {
        result.error = known != Known::None
                           ? QStringLiteral("dataset \"%1\" is not installed: %2 not found").arg(trimmed, path)
                           : QStringLiteral("%1: no such file or folder").arg(path);
    } else if (fi.isDir()) {
        const QDir dir(fi.absoluteFilePath());
        const std::vector<IdxSplitFiles> splits = findIdxSplits(dir);
        if (!splits.empty()) {
            const Result<QStringList> fixed = classesTxt(dir);
            if (!fixed) {
                result.error = fixed.error();
                result.dataset.spec = spec;
                return result;
            }
            QStringList classes = fixed.value();
            if (classes.isEmpty() && (known == Known::FashionMnist
                                      || dir.dirName().contains(QLatin1String("fashion"), Qt::CaseInsensitive)))
                classes = fashionMnistClasses();
            else if (classes.isEmpty() && known == Known::Mnist)
                classes = digitNames();
            result = readIdxFolder(splits, classes, options);
        } else if (known != Known::None) {
            result.error = QStringLiteral("dataset \"%1\": no IDX files in %2").arg(trimmed, path);
        } else {
            result = readImageFolder(path, options);
        }
    } else if (fi.suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0) {
        result = readCsvManifest(path, options);
    } else if (fi.fileName().contains(QLatin1String("idx3-ubyte"))) {
        // One IDX images file; labels beside it under the matching name, when present.
        const QDir dir = fi.absoluteDir();
        QString labelsName = fi.fileName();
        labelsName.replace(QLatin1String("images"), QLatin1String("labels"))
            .replace(QLatin1String("idx3-ubyte"), QLatin1String("idx1-ubyte"));
        if (labelsName.endsWith(QLatin1String(".gz")))
            labelsName.chop(3);
        const QString labels = findFile(dir, {labelsName});
        const QString split = fi.fileName().startsWith(QLatin1String("t10k")) ? QStringLiteral("test")
                                                                              : QStringLiteral("train");
        const Result<QStringList> fixed = classesTxt(dir);
        if (fixed)
            result = readIdxWithClasses(fi.absoluteFilePath(), labels, split, fixed.value(), options);
        else
            result.error = fixed.error();
    } else {
        result.error = QStringLiteral("%1: not a dataset (expected a folder, a .csv manifest or an "
                                      "IDX images file)").arg(path);
    }
    result.dataset.spec = spec;
    return result;
}

bool loadSampleImage(const Sample &sample, DecodedImage *out, QString *error, int minSide)
{
    QString message;
    if (!error)
        error = &message;
    if (sample.source == QLatin1String("idx"))
        return idxCachedImage(sample.path, sample.offset, out, error);
    if (sample.path.isEmpty()) {
        *error = QStringLiteral("sample has no file");
        return false;
    }
    if (!decodeImageFile(sample.path, LoadOptions().maxPixels, out, error, minSide)) {
        *error = QStringLiteral("%1: %2").arg(sample.path, *error);
        return false;
    }
    return true;
}

QString canonicalDataSpec(const QString &spec)
{
    const QString trimmed = spec.trimmed();
    const QString lower = trimmed.toLower();
    if (trimmed.isEmpty())
        return QString();
    if (lower == QLatin1String("fashion-mnist") || lower == QLatin1String("fashion_mnist")
        || lower == QLatin1String("fashionmnist"))
        return QStringLiteral("fashion-mnist");
    if (lower == QLatin1String("mnist"))
        return QStringLiteral("mnist");
    return QDir::cleanPath(QFileInfo(trimmed).absoluteFilePath());
}

} // namespace labelscope
