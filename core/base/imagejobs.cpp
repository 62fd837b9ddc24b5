// Decoding a list of image files (from an ImageFolder or a CSV manifest) into a Dataset at the
// training resolution: resized with OpenCV, grey kept grey, every failure skipped and listed.

#include "imagejobs.h"

#include <QHash>

#include <QFileInfo>
#include <QSet>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <exception>
#include <limits>
#include <map>

namespace labelscope {

bool hasImageExtension(const QString &fileName)
{
    static const QSet<QString> extensions = {
        QStringLiteral("png"),  QStringLiteral("jpg"),  QStringLiteral("jpeg"), QStringLiteral("jpe"),
        QStringLiteral("bmp"),  QStringLiteral("dib"),  QStringLiteral("webp"), QStringLiteral("tif"),
        QStringLiteral("tiff"), QStringLiteral("pbm"),  QStringLiteral("pgm"),  QStringLiteral("ppm"),
        QStringLiteral("pnm")};
    return extensions.contains(QFileInfo(fileName).suffix().toLower());
}

QString unreadImageFormat(const QString &fileName)
{
    static const QHash<QString, QString> formats = {
        {QStringLiteral("gif"), QStringLiteral("GIF")},         {QStringLiteral("heic"), QStringLiteral("HEIC")},
        {QStringLiteral("heif"), QStringLiteral("HEIF")},       {QStringLiteral("avif"), QStringLiteral("AVIF")},
        {QStringLiteral("jxl"), QStringLiteral("JPEG XL")},     {QStringLiteral("jp2"), QStringLiteral("JPEG 2000")},
        {QStringLiteral("j2k"), QStringLiteral("JPEG 2000")},   {QStringLiteral("jpx"), QStringLiteral("JPEG 2000")},
        {QStringLiteral("svg"), QStringLiteral("SVG")},         {QStringLiteral("ico"), QStringLiteral("ICO")},
        {QStringLiteral("psd"), QStringLiteral("Photoshop")},   {QStringLiteral("tga"), QStringLiteral("TGA")},
        {QStringLiteral("exr"), QStringLiteral("OpenEXR")},     {QStringLiteral("hdr"), QStringLiteral("Radiance HDR")},
        {QStringLiteral("dng"), QStringLiteral("camera raw")},  {QStringLiteral("cr2"), QStringLiteral("camera raw")},
        {QStringLiteral("nef"), QStringLiteral("camera raw")},  {QStringLiteral("arw"), QStringLiteral("camera raw")},
        {QStringLiteral("raw"), QStringLiteral("camera raw")}};
    return formats.value(QFileInfo(fileName).suffix().toLower());
}

namespace {

/// Images at the training resolution, collected before the dataset's channel count is known.
class ImageTable
{
public:
    explicit ImageTable(int side) : m_side(side) {}

    /// Resizes `img` to side×side; a colour image whose channels are all equal is kept as grey.
    void add(const DecodedImage &img)
    {
        const int type = img.channels == 1 ? CV_8UC1 : CV_8UC3;
        const cv::Mat src(img.height, img.width, type, const_cast<std::uint8_t *>(img.pixels.data()));
        cv::Mat dst;
        if (img.width == m_side && img.height == m_side) {
            dst = src.clone();
        } else {
            const bool shrinking = img.width >= m_side && img.height >= m_side;
            cv::resize(src, dst, cv::Size(m_side, m_side), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
        }
        if (dst.channels() == 3 && isGrey(dst)) {
            cv::Mat grey;
            cv::extractChannel(dst, grey, 0);
            dst = grey;
        }
        m_allGrey = m_allGrey && dst.channels() == 1;
        m_images.emplace_back(dst.data, dst.data + dst.total() * dst.elemSize());
    }

    std::size_t size() const { return m_images.size(); }

    /// Writes the images as uint8 [N, C, H, W]: C = 1 when every image is grey, else 3.
    void finish(Dataset *ds)
    {
        const std::size_t plane = std::size_t(m_side) * std::size_t(m_side);
        ds->channels = m_allGrey ? 1 : 3;
        ds->height = ds->width = m_side;
        ds->pixels.assign(m_images.size() * plane * std::size_t(ds->channels), 0);
        for (std::size_t i = 0; i < m_images.size(); ++i) {
            const std::vector<std::uint8_t> &hwc = m_images[i];
            std::uint8_t *dst = ds->pixels.data() + i * ds->imageBytes();
            const std::size_t c = hwc.size() / plane;
            for (int ch = 0; ch < ds->channels; ++ch) {
                std::uint8_t *out = dst + std::size_t(ch) * plane;
                const std::size_t from = c == 1 ? 0 : std::size_t(ch);
                for (std::size_t p = 0; p < plane; ++p)
                    out[p] = hwc[p * c + from];
            }
        }
        m_images.clear();
    }

private:
    static bool isGrey(const cv::Mat &rgb)
    {
        for (int y = 0; y < rgb.rows; ++y) {
            const auto *row = rgb.ptr<cv::Vec3b>(y);
            for (int x = 0; x < rgb.cols; ++x)
                if (row[x][0] != row[x][1] || row[x][0] != row[x][2])
                    return false;
        }
        return true;
    }

    int m_side;
    bool m_allGrey = true;
    std::vector<std::vector<std::uint8_t>> m_images; // HWC, 1 or 3 channels
};

/// Removes the derived classes none of whose images could be read (see readImageJobs), with a
/// skipped entry for each; later labels shift down.
void dropUnreadClasses(const std::vector<qint64> &tried, const std::vector<qint64> &read,
                       const std::vector<qint64> &untried, const std::vector<SkippedItem> &origins,
                       Dataset *ds)
{
    const std::size_t k = std::size_t(ds->classes.size());
    std::vector<int> newLabel(k, -1);
    QStringList kept;
    for (std::size_t c = 0; c < k; ++c) {
        if (tried[c] > 0 && read[c] == 0 && untried[c] == 0 && c < origins.size()) {
            SkippedItem item = origins[c];
            item.reason = QStringLiteral("class \"%1\" not created: none of its %2 image(s) could be read "
                                         "(each is listed)").arg(ds->classes[int(c)]).arg(tried[c]);
            ds->skipped.push_back(item);
            continue;
        }
        newLabel[c] = int(kept.size());
        kept << ds->classes[int(c)];
    }
    if (kept.size() == ds->classes.size())
        return;
    for (Sample &s : ds->samples)
        if (s.label >= 0)
            s.label = newLabel[std::size_t(s.label)];
    ds->classes = kept;
}

/// The split a job counts under for the limit: "test", or "" (train and unassigned share one).
QString limitSplit(const ImageJob &job)
{
    return job.split == QLatin1String("test") ? job.split : QString();
}

/// With a limit taken across classes, the jobs in the order the limit takes them: per split (in
/// order of first appearance), one job of each class in turn (label order, the unlabelled
/// last), each class's jobs in their own order. Without, the jobs as given.
std::vector<const ImageJob *> limitOrdered(const std::vector<ImageJob> &jobs, const LoadOptions &options)
{
    std::vector<const ImageJob *> order;
    order.reserve(jobs.size());
    if (options.limit < 0 || options.limitOrder != LimitOrder::AcrossClasses) {
        for (const ImageJob &job : jobs)
            order.push_back(&job);
        return order;
    }
    // split → label (-1 as the largest key: the unlabelled last) → its jobs.
    const auto key = [](int label) { return label < 0 ? std::numeric_limits<int>::max() : label; };
    std::vector<QString> splits;
    std::map<QString, std::map<int, std::vector<const ImageJob *>>> groups;
    for (const ImageJob &job : jobs) {
        const QString split = limitSplit(job);
        if (!groups.count(split))
            splits.push_back(split);
        groups[split][key(job.label)].push_back(&job);
    }
    for (const QString &split : splits) {
        const auto &byLabel = groups[split];
        for (std::size_t round = 0;; ++round) {
            bool any = false;
            for (const auto &[label, list] : byLabel)
                if (round < list.size()) {
                    order.push_back(list[round]);
                    any = true;
                }
            if (!any)
                break;
        }
    }
    return order;
}

} // namespace

QString splitOfName(const QString &name)
{
    const QString n = name.trimmed().toLower();
    if (n == QLatin1String("train") || n == QLatin1String("training"))
        return QStringLiteral("train");
    for (const char *held : {"test", "testing", "val", "valid", "validation", "eval"})
        if (n == QLatin1String(held))
            return QStringLiteral("test");
    return QString();
}

bool readImageJobs(const std::vector<ImageJob> &jobs, const QString &source, const QString &what,
                   const LoadOptions &options, const std::vector<SkippedItem> &classOrigins,
                   LoadResult &result)
{
    Dataset &ds = result.dataset;
    if (options.imageSize < 1 || options.imageSize > 4096) {
        result.error = QStringLiteral("invalid image size %1").arg(options.imageSize);
        return false;
    }
    ImageTable table(options.imageSize);
    std::map<QString, qint64> perSplit;
    // Per class: images tried, read, and left untried because of the limit.
    const std::size_t numClasses = std::size_t(ds.classes.size());
    std::vector<qint64> tried(numClasses, 0), read(numClasses, 0), untried(numClasses, 0);
    const qint64 total = qint64(jobs.size());
    qint64 done = 0;
    for (const ImageJob *next : limitOrdered(jobs, options)) {
        const ImageJob &job = *next;
        ++done;
        qint64 &count = perSplit[limitSplit(job)];
        const bool labelled = job.label >= 0 && std::size_t(job.label) < numClasses;
        if (options.limit >= 0 && count >= options.limit) {
            if (labelled)
                ++untried[std::size_t(job.label)];
        } else {
            if (labelled)
                ++tried[std::size_t(job.label)];
            DecodedImage img;
            QString reason;
            bool ok = decodeImageFile(job.path, options.maxPixels, &img, &reason);
            if (ok) {
                try {
                    table.add(img);
                } catch (const std::exception &e) { // cv::Exception, std::bad_alloc
                    reason = QStringLiteral("cannot resize: %1").arg(QString::fromLocal8Bit(e.what()));
                    ok = false;
                }
            }
            if (ok) {
                Sample s;
                s.source = source;
                s.path = job.path;
                s.split = job.split;
                s.label = job.label;
                ds.samples.push_back(s);
                ++count;
                if (labelled)
                    ++read[std::size_t(job.label)];
            } else {
                ds.skipped.push_back({job.path, job.location, reason});
            }
        }
        if (options.progress && (done % 1000 == 0 || done == total) && !options.progress(done, total)) {
            result.error = QStringLiteral("cancelled");
            return false;
        }
    }
    // When nothing at all was read the load fails below; the images' entries say enough.
    if (!classOrigins.empty() && !ds.samples.empty())
        dropUnreadClasses(tried, read, untried, classOrigins, &ds);
    if (ds.samples.empty() && options.limit != 0) {
        result.error = ds.skipped.empty()
                           ? QStringLiteral("%1: no images found").arg(what)
                           : QStringLiteral("%1: no readable images (%2 skipped; first: %3: %4)")
                                 .arg(what).arg(ds.skipped.size())
                                 .arg(ds.skipped.front().file, ds.skipped.front().reason);
        return false;
    }
    table.finish(&ds);
    return true;
}

} // namespace labelscope
