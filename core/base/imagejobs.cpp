// Decoding a list of image files (from an ImageFolder or a CSV manifest) into a Dataset at the
// training resolution: resized with OpenCV, grey kept grey, every failure skipped and listed.

#include "imagejobs.h"

#include <QHash>

#include <QElapsedTimer>
#include <QFileInfo>
#include <QSet>
#include <QThread>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace labelscope {

bool hasImageExtension(const QString &fileName)
{
    static const QSet<QString> extensions = {
        QStringLiteral("png"),  QStringLiteral("jpg"),  QStringLiteral("jpeg"), QStringLiteral("jpe"),
        QStringLiteral("bmp"),  QStringLiteral("dib"),  QStringLiteral("webp"), QStringLiteral("tif"),
        QStringLiteral("tiff"), QStringLiteral("pbm"),  QStringLiteral("pgm"),  QStringLiteral("ppm"),
        QStringLiteral("pnm"),  QStringLiteral("heic"), QStringLiteral("heif"), QStringLiteral("hif"),
        QStringLiteral("avif")};
    return extensions.contains(QFileInfo(fileName).suffix().toLower());
}

QString unreadImageFormat(const QString &fileName)
{
    static const QHash<QString, QString> formats = {
        {QStringLiteral("gif"), QStringLiteral("GIF")},         {QStringLiteral("jxl"), QStringLiteral("JPEG XL")},
        {QStringLiteral("jp2"), QStringLiteral("JPEG 2000")},   {QStringLiteral("j2k"), QStringLiteral("JPEG 2000")},
        {QStringLiteral("jpx"), QStringLiteral("JPEG 2000")},
        {QStringLiteral("svg"), QStringLiteral("SVG")},         {QStringLiteral("ico"), QStringLiteral("ICO")},
        {QStringLiteral("psd"), QStringLiteral("Photoshop")},   {QStringLiteral("tga"), QStringLiteral("TGA")},
        {QStringLiteral("exr"), QStringLiteral("OpenEXR")},     {QStringLiteral("hdr"), QStringLiteral("Radiance HDR")},
        {QStringLiteral("dng"), QStringLiteral("camera raw")},  {QStringLiteral("cr2"), QStringLiteral("camera raw")},
        {QStringLiteral("nef"), QStringLiteral("camera raw")},  {QStringLiteral("arw"), QStringLiteral("camera raw")},
        {QStringLiteral("raw"), QStringLiteral("camera raw")}};
    return formats.value(QFileInfo(fileName).suffix().toLower());
}

namespace {

/// One image at the training resolution: side × side, HWC; one channel when the image is grey
/// or a colour image whose channels are all equal after the resize.
std::vector<std::uint8_t> tableImage(const DecodedImage &img, int side)
{
    const int type = img.channels == 1 ? CV_8UC1 : CV_8UC3;
    const cv::Mat src(img.height, img.width, type, const_cast<std::uint8_t *>(img.pixels.data()));
    cv::Mat dst;
    if (img.width == side && img.height == side) {
        dst = src.clone();
    } else {
        const bool shrinking = img.width >= side && img.height >= side;
        cv::resize(src, dst, cv::Size(side, side), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    bool grey = dst.channels() == 3;
    for (int y = 0; y < dst.rows && grey; ++y) {
        const auto *row = dst.ptr<cv::Vec3b>(y);
        for (int x = 0; x < dst.cols && grey; ++x)
            grey = row[x][0] == row[x][1] && row[x][0] == row[x][2];
    }
    if (grey) {
        cv::Mat channel;
        cv::extractChannel(dst, channel, 0);
        dst = channel;
    }
    return std::vector<std::uint8_t>(dst.data, dst.data + dst.total() * dst.elemSize());
}

/// Images at the training resolution (tableImage), collected before the dataset's channel count is known.
class ImageTable
{
public:
    explicit ImageTable(int side) : m_side(side) {}

    void add(std::vector<std::uint8_t> &&hwc)
    {
        m_allGrey = m_allGrey && hwc.size() == std::size_t(m_side) * std::size_t(m_side);
        m_images.push_back(std::move(hwc));
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

/// One job's image at the training resolution, or why it was not read.
struct Decoded {
    bool ok = false;
    QString reason;
    std::vector<std::uint8_t> image; ///< tableImage's HWC pixels
};

Decoded decodeForTable(const ImageJob &job, const LoadOptions &options)
{
    Decoded d;
    DecodedImage img;
    // Reduced decoding (JPEG) keeps both sides at least imageSize: the resize below only shrinks.
    if (!decodeImageFile(job.path, options.maxPixels, &img, &d.reason, options.imageSize))
        return d;
    try {
        d.image = tableImage(img, options.imageSize);
        d.ok = true;
    } catch (const std::exception &e) { // cv::Exception, std::bad_alloc
        d.reason = QStringLiteral("cannot resize: %1").arg(QString::fromLocal8Bit(e.what()));
    }
    return d;
}

/// Decodes the jobs of ORDER (decodeForTable) on worker threads, at most a window ahead of the
/// one the caller takes next, and hands them over in order (take), so that the caller builds the
/// dataset one thread would read and no worker waits for another's slow image. A job whose split
/// had reached the limit when a worker came to it is not decoded (the caller counts; counts only
/// grow, so the caller finds it over the limit too).
class OrderedDecoder
{
public:
    OrderedDecoder(const std::vector<const ImageJob *> &order, const LoadOptions &options, int threads)
        : m_order(order), m_options(options), m_window(std::size_t(std::max(16, 8 * threads))), m_ring(m_window)
    {
        for (int t = 0; t < threads; ++t)
            m_workers.emplace_back([this] { work(); });
    }
    ~OrderedDecoder()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_space.notify_all();
        for (std::thread &w : m_workers)
            w.join();
    }

    /// Waits up to WAIT for job K, the next in order; true with *out when it was ready.
    bool take(std::size_t k, std::chrono::milliseconds wait, Decoded *out)
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        std::optional<Decoded> &slot = m_ring[k % m_window];
        if (!m_filled.wait_for(lock, wait, [&] { return slot.has_value(); }))
            return false;
        *out = std::move(*slot);
        slot.reset();
        m_taken = k + 1;
        lock.unlock();
        m_space.notify_all();
        return true;
    }

    /// The caller read one more image of SPLIT (0: train and unassigned, 1: test).
    void counted(int split) { m_counts[split].fetch_add(1); }

    static int splitIndex(const ImageJob &job) { return limitSplit(job).isEmpty() ? 0 : 1; }

private:
    void work()
    {
        for (;;) {
            std::size_t k = 0;
            {
                std::unique_lock<std::mutex> lock(m_mutex);
                m_space.wait(lock, [&] { return m_stop || m_next >= m_order.size() || m_next < m_taken + m_window; });
                if (m_stop || m_next >= m_order.size())
                    return;
                k = m_next++;
            }
            Decoded d;
            const ImageJob &job = *m_order[k];
            if (m_options.limit < 0 || m_counts[splitIndex(job)].load() < m_options.limit)
                d = decodeForTable(job, m_options);
            {
                std::lock_guard<std::mutex> lock(m_mutex);
                m_ring[k % m_window] = std::move(d);
            }
            m_filled.notify_all();
        }
    }

    const std::vector<const ImageJob *> &m_order;
    const LoadOptions &m_options;
    const std::size_t m_window;
    std::mutex m_mutex;
    std::condition_variable m_filled, m_space;
    std::vector<std::optional<Decoded>> m_ring; // job k's result in slot k % window until taken
    std::size_t m_next = 0, m_taken = 0; // the next job a worker takes; jobs the caller took
    bool m_stop = false;
    std::atomic<qint64> m_counts[2] = {0, 0};
    std::vector<std::thread> m_workers;
};

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
    const std::vector<const ImageJob *> order = limitOrdered(jobs, options);
    const qint64 total = qint64(order.size());
    const int threads = options.threads > 0 ? options.threads : std::max(1, QThread::idealThreadCount());
    // Decoded on THREADS workers, taken here in order exactly as one thread would take them;
    // progress (and so cancel) about every quarter of a second, whatever the images' sizes.
    OrderedDecoder decoder(order, options, threads);
    QElapsedTimer sinceProgress;
    sinceProgress.start();
    for (std::size_t i = 0; i < order.size(); ++i) {
        Decoded d;
        while (!decoder.take(i, std::chrono::milliseconds(100), &d)) {
            if (options.progress && sinceProgress.elapsed() >= 250) {
                if (!options.progress(qint64(i), total)) {
                    result.error = QStringLiteral("cancelled");
                    return false;
                }
                sinceProgress.restart();
            }
        }
        const ImageJob &job = *order[i];
        qint64 &count = perSplit[limitSplit(job)];
        const bool labelled = job.label >= 0 && std::size_t(job.label) < numClasses;
        if (options.limit >= 0 && count >= options.limit) {
            if (labelled)
                ++untried[std::size_t(job.label)];
        } else {
            if (labelled)
                ++tried[std::size_t(job.label)];
            if (!d.ok) {
                ds.skipped.push_back({job.path, job.location, d.reason});
            } else {
                table.add(std::move(d.image));
                Sample s;
                s.source = source;
                s.path = job.path;
                s.split = job.split;
                s.label = job.label;
                ds.samples.push_back(s);
                ++count;
                decoder.counted(OrderedDecoder::splitIndex(job));
                if (labelled)
                    ++read[std::size_t(job.label)];
            }
        }
        const bool last = i + 1 == order.size();
        if (options.progress && (last || sinceProgress.elapsed() >= 250)) {
            if (!options.progress(qint64(i + 1), total)) {
                result.error = QStringLiteral("cancelled");
                return false;
            }
            sinceProgress.restart();
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
