#include "healthchecks.h"

#include <QElapsedTimer>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <set>
#include <thread>

namespace labelscope {

namespace {

struct ImagePass {
    std::vector<ImageMeasures> measures;
    std::vector<ImageFingerprint> fingerprints;
    std::vector<float> thumbnails; ///< [N, kThumbnailDim]
    std::vector<std::uint8_t> measured;
    std::vector<std::uint8_t> reduced; ///< 1: decoded reduced (a large JPEG, a HEIC thumbnail), see wholeDecodesNeeded
    std::vector<QString> errors;   ///< why an image was skipped ("" when measured)

    explicit ImagePass(std::size_t n)
        : measures(n), fingerprints(n), thumbnails(n * std::size_t(kThumbnailDim), 0.0f), measured(n, 0),
          reduced(n, 0), errors(n)
    {
    }
};

/// Reads and measures the samples INDICES on THREADS workers, reduced as minSide allows
/// (decodeImageFile). Each worker takes 64 samples at a time; cancellation is polled per image.
/// An exception inside one image's work skips that image.
Result<> readImages(const Dataset &dataset, const std::vector<std::size_t> &indices, int threads, int minSide,
                    JobContext &context, ImagePass *pass)
{
    const std::size_t n = indices.size();
    std::atomic<std::size_t> next{0}, done{0};
    auto work = [&]() {
        DecodedImage image;
        constexpr std::size_t chunk = 64;
        for (;;) {
            const std::size_t begin = next.fetch_add(chunk);
            if (begin >= n)
                return;
            const std::size_t end = std::min(n, begin + chunk);
            for (std::size_t k = begin; k < end; ++k) {
                if (context.isCancelled())
                    return;
                const std::size_t i = indices[k];
                QString error;
                pass->measured[i] = 0;
                pass->errors[i].clear();
                try {
                    if (!loadSampleImage(dataset.samples[i], &image, &error, minSide)) {
                        pass->errors[i] = error.isEmpty() ? QStringLiteral("cannot read the image") : error;
                    } else if (!measureImage(image, &pass->measures[i])
                               || !fingerprintImage(image, &pass->fingerprints[i],
                                                    pass->thumbnails.data() + i * std::size_t(kThumbnailDim))) {
                        pass->errors[i] = QStringLiteral("cannot measure a %1x%2 image with %3 channels")
                                              .arg(image.width).arg(image.height).arg(image.channels);
                    } else {
                        pass->measured[i] = 1;
                        pass->reduced[i] = image.fullWidth > 0 ? 1 : 0;
                    }
                } catch (...) {
                    pass->errors[i] = exceptionMessage(std::current_exception());
                }
            }
            const std::size_t total = done.fetch_add(end - begin) + (end - begin);
            context.progress(double(total) / double(n), QStringLiteral("%1 of %2 images").arg(total).arg(n));
        }
    };
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t)
        workers.emplace_back(work);
    work();
    for (std::thread &w : workers)
        w.join();
    if (context.isCancelled())
        return Result<>::cancelled();
    return {};
}

/// The reduced images whose size (their own, upright) is also the size of an image decoded whole:
/// only when both are decoded whole can their pixels be equal, so these are read again whole for
/// the exact-duplicate hash (a JPEG beside a PNG of the same pixels). Reduced images compare
/// with each other as they are: the same size means the same reduction.
std::vector<std::size_t> wholeDecodesNeeded(const ImagePass &pass)
{
    std::set<std::pair<int, int>> wholeSizes;
    for (std::size_t i = 0; i < pass.measured.size(); ++i)
        if (pass.measured[i] && !pass.reduced[i])
            wholeSizes.insert({pass.measures[i].width, pass.measures[i].height});
    std::vector<std::size_t> again;
    for (std::size_t i = 0; i < pass.measured.size(); ++i)
        if (pass.measured[i] && pass.reduced[i] && wholeSizes.count({pass.measures[i].width, pass.measures[i].height}))
            again.push_back(i);
    return again;
}

QString checkEmbedding(const EmbeddingView &e, std::size_t n, const char *what)
{
    if (e.isEmpty() && !e.data && e.rows == 0)
        return QString();
    if (e.isEmpty() || e.rows != std::int64_t(n))
        return QStringLiteral("%1 embedding: %2 rows of %3 columns for %4 samples")
            .arg(QLatin1String(what)).arg(e.rows).arg(e.dim).arg(n);
    return QString();
}

Result<HealthReport> run(const Dataset &dataset, const HealthOptions &options, JobContext &context)
{
    using R = Result<HealthReport>;
    QElapsedTimer clock;
    clock.start();
    const std::size_t n = dataset.samples.size();
    if (const QString error = checkEmbedding(options.nearDuplicateEmbedding, n, "near-duplicate"); !error.isEmpty())
        return R::failure(error);
    if (options.outlierRows.empty()) {
        if (const QString error = checkEmbedding(options.outlierEmbedding, n, "outlier"); !error.isEmpty())
            return R::failure(error);
    } else {
        if (options.outlierEmbedding.isEmpty() || options.outlierEmbedding.rows != std::int64_t(options.outlierRows.size()))
            return R::failure(QStringLiteral("outlier embedding: %1 rows for %2 row indices")
                                  .arg(options.outlierEmbedding.rows).arg(options.outlierRows.size()));
        for (const int r : options.outlierRows)
            if (r < 0 || std::size_t(r) >= n)
                return R::failure(QStringLiteral("outlier embedding: row index %1 outside 0..%2").arg(r).arg(n - 1));
    }
    HealthReport report;
    report.samples = std::int64_t(n);
    report.labels.reserve(n);
    for (const Sample &s : dataset.samples)
        report.labels.push_back(s.label);

    context.stage(QStringLiteral("reading images"), 0.0, 0.6);
    ImagePass pass(n);
    const int threads = std::max(1, options.threads > 0 ? options.threads : QThread::idealThreadCount());
    std::vector<std::size_t> all(n);
    std::iota(all.begin(), all.end(), std::size_t(0));
    if (const Result<> read = readImages(dataset, all, threads, options.decodeMinSide, context, &pass); !read)
        return R::from(read);
    if (const std::vector<std::size_t> again = wholeDecodesNeeded(pass); !again.empty()) {
        context.stage(QStringLiteral("reading images whole for exact duplicates"), 0.58, 0.6);
        if (const Result<> read = readImages(dataset, again, threads, 0, context, &pass); !read)
            return R::from(read);
    }
    report.measured = pass.measured;
    for (std::size_t i = 0; i < n; ++i) {
        if (pass.measured[i])
            continue;
        const Sample &s = dataset.samples[i];
        report.skipped.push_back({int(i), {s.path, s.offset >= 0 ? QStringLiteral("image %1").arg(s.offset) : QString(),
                                           pass.errors[i]}});
    }

    context.stage(QStringLiteral("image properties"), 0.6, 0.62);
    scoreImageProperties(pass.measures, pass.measured, options.properties, &report);

    context.stage(QStringLiteral("exact duplicates"), 0.62, 0.63);
    report.exactSets = exactDuplicateSets(pass.fingerprints, pass.measured);
    IssueColumn &exact = report.column(IssueType::ExactDuplicate);
    exact.reset(n, 1.0);
    for (const DuplicateSet &set : report.exactSets)
        for (const int m : set.members) {
            exact.score[std::size_t(m)] = float(1.0 / double(set.members.size()));
            exact.flag[std::size_t(m)] = 1;
        }

    context.stage(QStringLiteral("near duplicates"), 0.63, 0.85);
    std::vector<std::uint8_t> eligible(n, 0);
    for (std::size_t i = 0; i < n; ++i)
        eligible[i] = pass.measured[i] && !pass.fingerprints[i].flat ? 1 : 0;
    const EmbeddingView thumbnails{pass.thumbnails.data(), std::int64_t(n), kThumbnailDim};
    const EmbeddingView nearInput = options.nearDuplicateEmbedding.isEmpty() ? thumbnails : options.nearDuplicateEmbedding;
    NearDuplicateOptions nearOptions = options.nearDuplicates;
    if (nearOptions.threads <= 0)
        nearOptions.threads = threads;
    Result<NearDuplicateResult> near =
        findNearDuplicates(nearInput, pass.fingerprints, eligible, report.exactSets, nearOptions, context);
    if (!near)
        return R::from(near);
    report.nearSets = std::move(near->sets);
    IssueColumn &nearColumn = report.column(IssueType::NearDuplicate);
    nearColumn.reset(n, 0.0); // set-based: flagged = member of a near set
    nearColumn.score = std::move(near->score);
    for (const DuplicateSet &set : report.nearSets)
        for (const int m : set.members)
            nearColumn.flag[std::size_t(m)] = 1;
    HealthStatistics &st = report.statistics;
    st.nearMedianDistance = near->medianDistance;
    st.nearCandidateDistance = near->candidateDistance;
    st.nearCandidatePairs = near->candidatePairs;
    st.nearHashPassed = near->hashPassed;
    st.nearConfirmedPairs = near->confirmedPairs;
    st.nearSearchSeconds = near->searchSeconds;
    st.nearConfirmSeconds = near->confirmSeconds;

    const bool outliers = !options.outlierEmbedding.isEmpty() || options.thumbnailOutliers;
    if (outliers && n >= 2) {
        context.stage(QStringLiteral("outliers"), 0.85, 1.0);
        const EmbeddingView input = options.outlierEmbedding.isEmpty() ? thumbnails : options.outlierEmbedding;
        std::vector<int> rowLabels;
        if (!options.outlierRows.empty())
            for (const int r : options.outlierRows)
                rowLabels.push_back(report.labels[std::size_t(r)]);
        Result<OutlierScores> scores =
            outlierScores(input.data, input.rows, input.dim, options.outlierRows.empty() ? report.labels : rowLabels,
                          options.outliers, context);
        if (!scores)
            return R::from(scores);
        if (options.outlierRows.empty()) {
            setOutlierColumn(scores.value(), &report);
        } else {
            // Scores of the embedded rows only; the others keep 1 / 0.
            OutlierScores all = scores.value();
            for (std::vector<float> *v : {&all.score, &all.classScore, &all.issueScore})
                v->assign(n, 1.0f);
            all.meanDistance.assign(n, 0.0f);
            all.otherClassVote.assign(n, 0.0f);
            for (std::vector<std::uint8_t> *v : {&all.flag, &all.classFlag, &all.issueFlag})
                v->assign(n, 0);
            for (std::size_t j = 0; j < options.outlierRows.size(); ++j) {
                const std::size_t i = std::size_t(options.outlierRows[j]);
                all.score[i] = scores->score[j];
                all.flag[i] = scores->flag[j];
                all.classScore[i] = scores->classScore[j];
                all.classFlag[i] = scores->classFlag[j];
                all.issueScore[i] = scores->issueScore[j];
                all.issueFlag[i] = scores->issueFlag[j];
                all.otherClassVote[i] = scores->otherClassVote[j];
                all.meanDistance[i] = scores->meanDistance[j];
            }
            setOutlierColumn(all, &report);
        }
        IssueColumn &column = report.column(IssueType::Outlier);
        for (std::size_t i = 0; i < n && options.outlierEmbedding.isEmpty(); ++i)
            if (!pass.measured[i]) { // a skipped image's thumbnail is zeros, not a measurement
                column.score[i] = 1.0f;
                column.flag[i] = 0;
            }
    }

    markLeakage(dataset.samples, &report);
    computeClassBalance(dataset.samples, dataset.classes, options.imbalanceThreshold, &report);
    report.seconds = double(clock.elapsed()) / 1000.0;
    context.progress(1.0, QStringLiteral("done"));
    return R(std::move(report));
}

} // namespace

Result<HealthReport> runHealthChecks(const Dataset &dataset, const HealthOptions &options, JobContext &context)
{
    return runJob<HealthReport>(context, [&](JobContext &c) { return run(dataset, options, c); });
}

} // namespace labelscope
