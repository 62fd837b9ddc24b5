// Dataset-health benchmark (issue 16; tests/benchmarks/RESULTS.md, "Session 8: dataset
// health"): runs runHealthChecks on SPEC and prints, against the planted truth of health_plant
// (truth.csv), precision and recall per issue type on the training split, the planted
// near-duplicate pairs recovered by kind, the outlier AUROC, and the wall time per stage. With
// --baseline SPEC2 (the unmodified data) it first runs the checks there and reports what they
// find (duplicates within train, within test and across: leakage), and counts a flag on a sample
// outside the truth that the baseline flags too as pre-existing, not as a false positive
// (reported beside the raw precision). --montage FILE.png draws the first near sets found.
//
//   build/tests/health_bench --data /tmp/fmnist-health-seed1 --baseline fashion-mnist [--threads 2]

#include "base/dataset.h"
#include "base/projectstore.h"
#include "health/healthchecks.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QTextStream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <tuple>
#include <set>

using namespace labelscope;

namespace {

struct Planted {
    int index = -1, source = -1;
    QString type, detail;
};

double auroc(const std::vector<double> &positive, const std::vector<double> &negative)
{
    std::vector<std::pair<double, int>> all;
    for (const double p : positive)
        all.emplace_back(p, 1);
    for (const double q : negative)
        all.emplace_back(q, 0);
    std::sort(all.begin(), all.end());
    double rankSum = 0.0;
    for (std::size_t i = 0; i < all.size();) {
        std::size_t j = i;
        while (j < all.size() && all[j].first == all[i].first)
            ++j;
        const double rank = (double(i + 1) + double(j)) / 2.0;
        for (std::size_t q = i; q < j; ++q)
            rankSum += all[q].second ? rank : 0.0;
        i = j;
    }
    const double np = double(positive.size()), nn = double(negative.size());
    return np > 0 && nn > 0 ? (rankSum - np * (np + 1) / 2.0) / (np * nn) : 0.0;
}

QString where(const Dataset &d, int i)
{
    const Sample &s = d.samples[std::size_t(i)];
    return QStringLiteral("%1#%2").arg(s.split).arg(s.offset);
}

struct Run {
    Dataset dataset;
    HealthReport report;
    std::vector<std::pair<QString, double>> stages; ///< name, seconds
};

HealthOptions gOptions; // from the command line (tuning)

bool runChecks(const QString &spec, int threads, Run *run)
{
    QElapsedTimer load;
    load.start();
    LoadResult loaded = loadDataset(spec);
    if (!loaded.ok()) {
        std::fprintf(stderr, "health_bench: %s\n", qPrintable(loaded.error));
        return false;
    }
    run->dataset = std::move(loaded.dataset);
    std::printf("\n== %s: %zu samples (loaded in %.1f s)\n", qPrintable(spec), run->dataset.samples.size(),
                load.elapsed() / 1000.0);
    HealthOptions options = gOptions;
    options.threads = threads;
    std::atomic_bool cancel{false};
    QString stage;
    double stageStart = 0.0;
    JobContext context(QStringLiteral("health checks"), &cancel, [&](const JobProgress &p) {
        if (p.stage != stage) {
            if (!stage.isEmpty())
                run->stages.emplace_back(stage, p.elapsedSeconds - stageStart);
            stage = p.stage;
            stageStart = p.elapsedSeconds;
        }
    });
    Result<HealthReport> r = runHealthChecks(run->dataset, options, context);
    if (!r) {
        std::fprintf(stderr, "health_bench: %s\n", qPrintable(r.error()));
        return false;
    }
    run->report = std::move(r.value());
    run->stages.emplace_back(stage, context.elapsedSeconds() - stageStart);
    std::printf("checks: %.2f s wall (", run->report.seconds);
    for (const auto &[name, seconds] : run->stages)
        std::printf("%s %.2f s; ", qPrintable(name), seconds);
    std::printf("%d threads)\n", threads);
    std::printf("flagged:");
    for (int t = 0; t < kIssueTypeCount; ++t)
        if (run->report.columns[std::size_t(t)].computed)
            std::printf(" %s %lld", kIssueTypeNames[t].name, static_cast<long long>(run->report.columns[std::size_t(t)].flagged()));
    const HealthStatistics &st = run->report.statistics;
    std::printf("\nnear: median NN distance %.5f, candidate < %.5f, pairs %lld, pHash passed %lld, confirmed %lld; "
                "search %.2f s, confirmation %.2f s\n",
                st.nearMedianDistance, st.nearCandidateDistance, static_cast<long long>(st.nearCandidatePairs),
                static_cast<long long>(st.nearHashPassed), static_cast<long long>(st.nearConfirmedPairs),
                st.nearSearchSeconds, st.nearConfirmSeconds);
    return true;
}

void describeSets(const Run &run, const char *name, const std::vector<DuplicateSet> &sets, int examples)
{
    int train = 0, test = 0, across = 0;
    std::vector<const DuplicateSet *> shown[3];
    for (const DuplicateSet &s : sets) {
        bool hasTest = false, hasTrain = false;
        for (const int m : s.members)
            (run.dataset.samples[std::size_t(m)].split == QLatin1String("test") ? hasTest : hasTrain) = true;
        const int kind = hasTest && hasTrain ? 2 : hasTest ? 1 : 0;
        (kind == 2 ? across : kind == 1 ? test : train) += 1;
        if (int(shown[kind].size()) < examples)
            shown[kind].push_back(&s);
    }
    std::printf("%s sets: %zu (within train %d, within test %d, across train/test %d)\n", name, sets.size(), train,
                test, across);
    const char *labels[3] = {"within train", "within test", "across"};
    for (int k = 0; k < 3; ++k)
        for (const DuplicateSet *s : shown[k]) {
            std::printf("  %s:", labels[k]);
            for (const int m : s->members)
                std::printf(" %s(%s)", qPrintable(where(run.dataset, m)),
                            qPrintable(run.dataset.classes.value(run.dataset.samples[std::size_t(m)].label)));
            std::printf("\n");
        }
}

void montage(const Run &run, const QString &file)
{
    const int tiles = std::min<int>(24, int(run.report.nearSets.size())), scale = 3;
    if (tiles == 0)
        return;
    cv::Mat canvas(2 * 28 * scale, tiles * 28 * scale, CV_8U, cv::Scalar(128));
    for (int t = 0; t < tiles; ++t)
        for (int r = 0; r < 2; ++r) {
            DecodedImage img;
            if (!loadSampleImage(run.dataset.samples[std::size_t(run.report.nearSets[std::size_t(t)].members[std::size_t(r)])], &img,
                                 nullptr) || img.channels != 1)
                continue;
            cv::Mat m(img.height, img.width, CV_8U, img.pixels.data()), big;
            cv::resize(m, big, cv::Size(28 * scale, 28 * scale), 0, 0, cv::INTER_NEAREST);
            big.copyTo(canvas(cv::Rect(t * 28 * scale, r * 28 * scale, 28 * scale, 28 * scale)));
        }
    cv::imwrite(file.toStdString(), canvas);
    std::printf("montage of the first %d near sets: %s\n", tiles, qPrintable(file));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("data"), QStringLiteral("planted dataset (health_plant --out)"), QStringLiteral("SPEC")});
    parser.addOption({QStringLiteral("truth"), QStringLiteral("truth CSV (default SPEC/truth.csv)"), QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("baseline"), QStringLiteral("the unmodified dataset"), QStringLiteral("SPEC")});
    parser.addOption({QStringLiteral("threads"), QStringLiteral("image workers"), QStringLiteral("N"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("examples"), QStringLiteral("example sets shown"), QStringLiteral("N"), QStringLiteral("4")});
    parser.addOption({QStringLiteral("montage"), QStringLiteral("PNG of the first near sets (baseline, or data)"),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("outliers"), QStringLiteral("outlier scores on the thumbnails")});
    parser.addOption({QStringLiteral("k"), QStringLiteral("near-duplicate neighbours"), QStringLiteral("K")});
    parser.addOption({QStringLiteral("candidate-factor"), QStringLiteral("candidate bound / median"), QStringLiteral("F")});
    parser.addOption({QStringLiteral("hamming"), QStringLiteral("pHash radius"), QStringLiteral("R")});
    parser.addOption({QStringLiteral("max-residual"), QStringLiteral("grey levels"), QStringLiteral("G")});
    parser.addOption({QStringLiteral("project"), QStringLiteral("project analysed from --data: outlier AUROC on its embeddings"),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("diagnose"), QStringLiteral("rank of each missed near pair (slow)")});
    parser.addOption({QStringLiteral("false-montage"), QStringLiteral("PNG of near flags the truth counts as false"),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("no-checks"), QStringLiteral("with --project: only the outlier scores of the analysis")});
    parser.addOption({QStringLiteral("pca"), QStringLiteral("kNN projection dimensions"), QStringLiteral("D")});
    parser.addOption({QStringLiteral("oversample"), QStringLiteral("kNN candidates per neighbour"), QStringLiteral("M")});
    parser.process(app);
    if (parser.isSet(QStringLiteral("pca")))
        gOptions.nearDuplicates.knn.pcaDims = gOptions.outliers.knn.pcaDims = parser.value(QStringLiteral("pca")).toInt();
    if (parser.isSet(QStringLiteral("oversample")))
        gOptions.nearDuplicates.knn.oversample = gOptions.outliers.knn.oversample = parser.value(QStringLiteral("oversample")).toInt();
    gOptions.thumbnailOutliers = parser.isSet(QStringLiteral("outliers"));
    if (parser.isSet(QStringLiteral("k")))
        gOptions.nearDuplicates.k = parser.value(QStringLiteral("k")).toInt();
    if (parser.isSet(QStringLiteral("candidate-factor")))
        gOptions.nearDuplicates.candidateFactor = parser.value(QStringLiteral("candidate-factor")).toDouble();
    if (parser.isSet(QStringLiteral("hamming")))
        gOptions.nearDuplicates.hammingRadius = parser.value(QStringLiteral("hamming")).toInt();
    if (parser.isSet(QStringLiteral("max-residual")))
        gOptions.nearDuplicates.maxResidual = parser.value(QStringLiteral("max-residual")).toDouble();
    const int threads = parser.value(QStringLiteral("threads")).toInt();
    const int examples = parser.value(QStringLiteral("examples")).toInt();

    Run baseline;
    const bool haveBaseline = parser.isSet(QStringLiteral("baseline"));
    if (haveBaseline) {
        if (!runChecks(parser.value(QStringLiteral("baseline")), threads, &baseline))
            return 1;
        describeSets(baseline, "exact duplicate", baseline.report.exactSets, examples);
        describeSets(baseline, "near duplicate", baseline.report.nearSets, examples);
        if (parser.isSet(QStringLiteral("montage")) && !parser.isSet(QStringLiteral("data")))
            montage(baseline, parser.value(QStringLiteral("montage")));
    }
    if (!parser.isSet(QStringLiteral("data")))
        return 0;
    const QString spec = parser.value(QStringLiteral("data"));
    Run planted;
    const bool noChecks = parser.isSet(QStringLiteral("no-checks"));
    if (noChecks) {
        LoadResult loaded = loadDataset(spec);
        if (!loaded.ok()) {
            std::fprintf(stderr, "health_bench: %s\n", qPrintable(loaded.error));
            return 1;
        }
        planted.dataset = std::move(loaded.dataset);
    } else if (!runChecks(spec, threads, &planted)) {
        return 1;
    }
    if (parser.isSet(QStringLiteral("montage")))
        montage(planted, parser.value(QStringLiteral("montage")));

    QFile truthFile(parser.isSet(QStringLiteral("truth")) ? parser.value(QStringLiteral("truth")) : spec + QStringLiteral("/truth.csv"));
    if (!truthFile.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "health_bench: cannot read %s\n", qPrintable(truthFile.fileName()));
        return 1;
    }
    std::vector<Planted> truth;
    QTextStream in(&truthFile);
    in.readLine();
    while (!in.atEnd()) {
        const QStringList f = in.readLine().split(QLatin1Char(','));
        if (f.size() >= 4)
            truth.push_back({f[0].toInt(), f[2].toInt(), f[1], f[3]});
    }
    // Training samples by their index in the training file.
    std::map<int, int> trainSample, baselineTrain;
    for (std::size_t i = 0; i < planted.dataset.samples.size(); ++i)
        if (planted.dataset.samples[i].split == QLatin1String("train"))
            trainSample[int(planted.dataset.samples[i].offset)] = int(i);
    for (std::size_t i = 0; i < baseline.dataset.samples.size(); ++i)
        if (baseline.dataset.samples[i].split == QLatin1String("train"))
            baselineTrain[int(baseline.dataset.samples[i].offset)] = int(i);

    std::map<int, QString> plantedType;
    for (const Planted &p : truth) {
        plantedType[p.index] = p.type;
        if (p.source >= 0)
            plantedType[p.source] = p.type + QStringLiteral(" source");
    }
    std::map<QString, QString> fpByType;
    std::printf("\n%-16s %6s %7s %6s %9s %7s | %s\n", "type", "truth", "flagged", "TP", "precision", "recall",
                "pre-existing (flagged in baseline too), precision without them");
    for (const auto &[type, issue] : {std::pair{QStringLiteral("exact_duplicate"), IssueType::ExactDuplicate},
                                      std::pair{QStringLiteral("near_duplicate"), IssueType::NearDuplicate},
                                      std::pair{QStringLiteral("blurry"), IssueType::Blurry},
                                      std::pair{QStringLiteral("dark"), IssueType::Dark},
                                      std::pair{QStringLiteral("outlier"), IssueType::Outlier}}) {
        std::set<int> positives; // training-file indices
        for (const Planted &p : truth)
            if (p.type == type) {
                positives.insert(p.index);
                if (p.source >= 0)
                    positives.insert(p.source);
            }
        const IssueColumn &c = planted.report.column(issue);
        const IssueColumn &b = baseline.report.column(issue);
        if (!c.computed)
            continue;
        long flagged = 0, tp = 0, preexisting = 0;
        for (const auto &[offset, i] : trainSample) {
            if (!c.flag[std::size_t(i)])
                continue;
            ++flagged;
            if (positives.count(offset)) {
                ++tp;
            } else if (haveBaseline && baselineTrain.count(offset)
                       && b.flag[std::size_t(baselineTrain[offset])]) {
                ++preexisting;
            }
        }
        {
            std::map<QString, int> fp; // false positives by what the sample is in the truth
            for (const auto &[offset, i] : trainSample)
                if (c.flag[std::size_t(i)] && !positives.count(offset))
                    ++fp[plantedType.count(offset) ? plantedType[offset] : QStringLiteral("untouched")];
            QString line;
            for (const auto &[what, count] : fp)
                line += QStringLiteral(" %1 %2;").arg(what).arg(count);
            fpByType[type] = line;
        }
        const double precision = flagged ? double(tp) / double(flagged) : 0.0;
        const double recall = positives.empty() ? 0.0 : double(tp) / double(positives.size());
        const double cleaned = flagged - preexisting ? double(tp) / double(flagged - preexisting) : 0.0;
        std::printf("%-16s %6zu %7ld %6ld %9.4f %7.4f | %ld, %.4f\n", qPrintable(type), positives.size(), flagged, tp,
                    precision, recall, preexisting, cleaned);
    }

    std::printf("false positives by truth:\n");
    for (const auto &[type, line] : fpByType)
        std::printf("  %s:%s\n", qPrintable(type), qPrintable(line));

    // Planted pairs recovered (target and source in one set), by kind of copy.
    auto setOf = [&](const std::vector<DuplicateSet> &sets) {
        std::map<int, int> of;
        for (std::size_t s = 0; s < sets.size(); ++s)
            for (const int m : sets[s].members)
                of[m] = int(s);
        return of;
    };
    const std::map<int, int> exactOf = setOf(planted.report.exactSets), nearOf = setOf(planted.report.nearSets);
    const bool diagnose = parser.isSet(QStringLiteral("diagnose"));
    std::vector<float> allThumbs;
    if (diagnose) {
        allThumbs.assign(planted.dataset.samples.size() * std::size_t(kThumbnailDim), 0.0f);
        for (std::size_t i = 0; i < planted.dataset.samples.size(); ++i) {
            DecodedImage img;
            ImageFingerprint fp;
            if (loadSampleImage(planted.dataset.samples[i], &img, nullptr))
                fingerprintImage(img, &fp, allThumbs.data() + i * kThumbnailDim);
        }
    }
    std::map<QString, std::pair<int, int>> byKind; // kind -> (recovered, planted)
    for (const Planted &p : truth) {
        if (p.source < 0 || noChecks)
            continue;
        const std::map<int, int> &of = p.type == QLatin1String("exact_duplicate") ? exactOf : nearOf;
        const int a = trainSample[p.index], s = trainSample[p.source];
        const QString kind = p.type == QLatin1String("exact_duplicate") ? p.type : p.detail.section(QLatin1Char(' '), 0, 0);
        auto &[recovered, total] = byKind[kind];
        ++total;
        const bool found = of.count(a) && of.count(s) && of.at(a) == of.at(s);
        recovered += found ? 1 : 0;
        if (!found && p.type == QLatin1String("near_duplicate")) {
            // Why: the thumbnails' cosine distance (against the candidate bound), pHash, residual.
            DecodedImage ia, is;
            ImageFingerprint fa, fs;
            std::vector<float> ta(kThumbnailDim), ts(kThumbnailDim);
            if (loadSampleImage(planted.dataset.samples[std::size_t(a)], &ia, nullptr)
                && loadSampleImage(planted.dataset.samples[std::size_t(s)], &is, nullptr)
                && fingerprintImage(ia, &fa, ta.data()) && fingerprintImage(is, &fs, ts.data())) {
                double dot = 0.0;
                for (int q = 0; q < kThumbnailDim; ++q)
                    dot += double(ta[std::size_t(q)]) * ts[std::size_t(q)];
                int rankA = 0, rankS = 0; // how many images are closer to a than s is, and to s than a is
                if (diagnose) {
                    for (const auto &[offset, i] : trainSample) {
                        if (i == a || i == s)
                            continue;
                        const float *t = allThumbs.data() + std::size_t(i) * kThumbnailDim;
                        double da = 0.0, ds = 0.0;
                        for (int q = 0; q < kThumbnailDim; ++q) {
                            da += double(ta[std::size_t(q)]) * t[q];
                            ds += double(ts[std::size_t(q)]) * t[q];
                        }
                        rankA += da > dot ? 1 : 0;
                        rankS += ds > dot ? 1 : 0;
                    }
                }
                std::printf("  missed %d<-%d %s: cosine %.4f (bound %.4f, ranks %d %d) hamming %d residual %.1f\n", p.index,
                            p.source, qPrintable(p.detail), 1.0 - dot, planted.report.statistics.nearCandidateDistance, rankA,
                            rankS, hammingDistance(fa.perceptualHash, fs.perceptualHash), alignedResidual(fa, fs, 2));
            }
        }
    }
    std::printf("\nplanted pairs in one set:");
    for (const auto &[kind, counts] : byKind)
        std::printf(" %s %d/%d;", qPrintable(kind), counts.first, counts.second);

    // The near-duplicate flags the planted truth counts as false: is each such image really a
    // near copy of another image of its set? Pixel check independent of the detector (no
    // embedding, hash or residual): the mean absolute grey-level difference to the closest set
    // member over shifts of up to 2 px (overlap only), beside the same measure on the planted
    // near pairs (near copies by construction) and on random pairs of one class (not copies).
    if (!noChecks) {
        std::set<int> nearPositives;
        for (const Planted &p : truth)
            if (p.type == QLatin1String("near_duplicate")) {
                nearPositives.insert(p.index);
                nearPositives.insert(p.source);
            }
        std::map<int, int> offsetOf; // sample index -> training-file index
        for (const auto &[offset, i] : trainSample)
            offsetOf[i] = offset;
        auto grey = [&](int i, cv::Mat *out) {
            DecodedImage img;
            if (!loadSampleImage(planted.dataset.samples[std::size_t(i)], &img, nullptr) || img.channels != 1)
                return false;
            *out = cv::Mat(img.height, img.width, CV_8U, img.pixels.data()).clone();
            return true;
        };
        auto shiftedMad = [](const cv::Mat &a, const cv::Mat &b) {
            double best = 1e9;
            if (a.size() != b.size())
                return best;
            for (int dy = -2; dy <= 2; ++dy)
                for (int dx = -2; dx <= 2; ++dx) {
                    const cv::Rect ra(std::max(0, dx), std::max(0, dy), a.cols - std::abs(dx), a.rows - std::abs(dy));
                    const cv::Rect rb(std::max(0, -dx), std::max(0, -dy), a.cols - std::abs(dx), a.rows - std::abs(dy));
                    cv::Mat diff;
                    cv::absdiff(a(ra), b(rb), diff);
                    best = std::min(best, cv::mean(diff)[0]);
                }
            return best;
        };
        auto quantiles = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            auto q = [&](double f) { return v.empty() ? 0.0 : v[std::size_t(f * double(v.size() - 1))]; };
            return QStringLiteral("median %1, 90% %2, max %3 (n = %4)")
                .arg(q(0.5), 0, 'f', 1).arg(q(0.9), 0, 'f', 1).arg(q(1.0), 0, 'f', 1).arg(v.size());
        };
        std::vector<double> plantedPairs, falseUntouched, falseOther, randomPairs;
        for (const Planted &p : truth)
            if (p.type == QLatin1String("near_duplicate")) {
                cv::Mat a, b;
                if (grey(trainSample[p.index], &a) && grey(trainSample[p.source], &b))
                    plantedPairs.push_back(shiftedMad(a, b));
            }
        std::vector<std::tuple<double, int, int>> falsePairs; // distance, image, partner (untouched)
        for (const DuplicateSet &set : planted.report.nearSets) {
            for (const int m : set.members) {
                if (!offsetOf.count(m) || nearPositives.count(offsetOf[m]))
                    continue; // a planted near copy or its source, or a test image
                cv::Mat a;
                if (!grey(m, &a))
                    continue;
                double best = 1e9;
                int partner = -1;
                for (const int o : set.members) {
                    cv::Mat b;
                    if (o != m && grey(o, &b))
                        if (const double d = shiftedMad(a, b); d < best) {
                            best = d;
                            partner = o;
                        }
                }
                const bool untouched = !plantedType.count(offsetOf[m]) && partner >= 0 && offsetOf.count(partner)
                    && !plantedType.count(offsetOf[partner]);
                (untouched ? falseUntouched : falseOther).push_back(best);
                if (untouched)
                    falsePairs.emplace_back(best, m, partner);
            }
        }
        // Reference: an image against a random other image of its class (not near copies).
        std::map<int, std::vector<int>> byLabel;
        for (const auto &[offset, i] : trainSample)
            if (!plantedType.count(offset))
                byLabel[planted.dataset.samples[std::size_t(i)].label].push_back(i);
        std::mt19937 rng(1);
        for (int r = 0; r < 1000; ++r) {
            const std::vector<int> &pool = byLabel[int(rng() % byLabel.size())];
            cv::Mat a, b;
            if (pool.size() > 1 && grey(pool[rng() % pool.size()], &a) && grey(pool[rng() % pool.size()], &b))
                randomPairs.push_back(shiftedMad(a, b));
        }
        std::printf("\nnear-duplicate pixel check (mean |difference| in grey levels at the best shift of <= 2 px, "
                    "to the closest member of its set):\n  planted near pairs: %s\n"
                    "  flags the truth counts as false, both images untouched (Fashion-MNIST's own pixels): %s\n"
                    "  flags the truth counts as false, the image or its partner planted (blurred, darkened, ...): %s\n"
                    "  reference, random pairs of one class: %s\n",
                    qPrintable(quantiles(plantedPairs)), qPrintable(quantiles(falseUntouched)), qPrintable(quantiles(falseOther)),
                    qPrintable(quantiles(randomPairs)));
        if (!plantedPairs.empty() && !falseUntouched.empty()) {
            std::vector<double> sorted = plantedPairs;
            std::sort(sorted.begin(), sorted.end());
            const double p95 = sorted[std::size_t(0.95 * double(sorted.size() - 1))];
            const long within = std::count_if(falseUntouched.begin(), falseUntouched.end(), [&](double d) { return d <= p95; });
            std::printf("  untouched 'false' flags within the planted pairs' 95th percentile (%.1f): %ld of %zu\n", p95, within,
                        falseUntouched.size());
        }
        // The montage shows the farthest such pairs (the ones most likely not copies).
        std::sort(falsePairs.rbegin(), falsePairs.rend());
        std::vector<std::pair<int, int>> shownPairs;
        for (std::size_t q = 0; q < falsePairs.size() && q < 24; ++q)
            shownPairs.emplace_back(std::get<1>(falsePairs[q]), std::get<2>(falsePairs[q]));
        if (parser.isSet(QStringLiteral("false-montage")) && !shownPairs.empty()) {
            const int scale = 3, tiles = int(shownPairs.size());
            cv::Mat canvas(2 * 28 * scale, tiles * 28 * scale, CV_8U, cv::Scalar(128));
            for (int t = 0; t < tiles; ++t)
                for (int r = 0; r < 2; ++r) {
                    cv::Mat m, big;
                    if (grey(r ? shownPairs[std::size_t(t)].second : shownPairs[std::size_t(t)].first, &m) && m.size() == cv::Size(28, 28)) {
                        cv::resize(m, big, cv::Size(28 * scale, 28 * scale), 0, 0, cv::INTER_NEAREST);
                        big.copyTo(canvas(cv::Rect(t * 28 * scale, r * 28 * scale, 28 * scale, 28 * scale)));
                    }
                }
            cv::imwrite(parser.value(QStringLiteral("false-montage")).toStdString(), canvas);
            std::printf("  montage of the %d farthest such pairs (top: the flagged image, bottom: its closest set member; "
                        "distance %.1f to %.1f): %s\n", tiles, std::get<0>(falsePairs[std::size_t(tiles - 1)]),
                        std::get<0>(falsePairs.front()),
                        qPrintable(parser.value(QStringLiteral("false-montage"))));
        }
    }

    // Outlier AUROC: planted outliers against every other training sample.
    std::vector<double> pos, neg, posClass, negClass;
    std::set<int> outlierIdx;
    for (const Planted &p : truth)
        if (p.type == QLatin1String("outlier"))
            outlierIdx.insert(p.index);
    if (parser.isSet(QStringLiteral("project"))) {
        // The analysis' embeddings of the planted data (labelscope analyze --project FILE):
        // outlier scores through the same API, AUROC of the planted letters against the rest.
        ProjectStore store;
        QString error;
        if (!store.open(parser.value(QStringLiteral("project")), &error)) {
            std::fprintf(stderr, "health_bench: %s\n", qPrintable(error));
            return 1;
        }
        const std::optional<RunInfo> run = store.latestRun();
        std::vector<qint64> ids;
        std::vector<float> data;
        int dim = 0;
        if (!run || !store.embeddings(run->id, &ids, &data, &dim)) {
            std::fprintf(stderr, "health_bench: no embeddings in the project\n");
            return 1;
        }
        std::map<qint64, SampleRow> rows;
        for (const SampleRow &r : store.samples())
            rows[r.id] = r;
        std::set<int> letters;
        for (const Planted &p : truth)
            if (p.type == QLatin1String("outlier"))
                letters.insert(p.index);
        std::vector<int> labels, isLetter;
        for (const qint64 id : ids) {
            const SampleRow &r = rows[id];
            labels.push_back(r.givenLabel);
            isLetter.push_back(r.sample.split != QLatin1String("test") && letters.count(int(r.sample.offset)) ? 1 : 0);
        }
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("outliers"), &cancel);
        QElapsedTimer clock;
        clock.start();
        const Result<OutlierScores> scores = outlierScores(data.data(), std::int64_t(ids.size()), dim, labels, {}, context);
        if (!scores) {
            std::fprintf(stderr, "health_bench: %s\n", qPrintable(scores.error()));
            return 1;
        }
        std::vector<double> gp, gn, cp, cn, mp, mn, pp, pn;
        long flaggedLetters = 0, flagged = 0, classFlagged = 0, classFlaggedLetters = 0;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            (isLetter[i] ? gp : gn).push_back(1.0 - scores->score[i]);
            (isLetter[i] ? cp : cn).push_back(1.0 - scores->classScore[i]);
            // Combinations of the two, for comparison: the lower score, and their product.
            (isLetter[i] ? mp : mn).push_back(1.0 - std::min(scores->score[i], scores->classScore[i]));
            (isLetter[i] ? pp : pn).push_back(1.0 - double(scores->score[i]) * double(scores->classScore[i]));
            flagged += scores->flag[i];
            flaggedLetters += isLetter[i] && scores->flag[i] ? 1 : 0;
            classFlagged += scores->classFlag[i];
            classFlaggedLetters += isLetter[i] && scores->classFlag[i] ? 1 : 0;
        }
        std::printf("analysis embeddings (run %lld, %zu x %d, %zu letters): outlier AUROC global %.4f, within class %.4f; "
                    "global flag precision %.4f recall %.4f (%ld flagged); class flag precision %.4f recall %.4f (%ld flagged); %.2f s\n",
                    static_cast<long long>(run->id), ids.size(), dim, gp.size(), auroc(gp, gn), auroc(cp, cn),
                    flagged ? double(flaggedLetters) / double(flagged) : 0.0, gp.empty() ? 0.0 : double(flaggedLetters) / double(gp.size()),
                    flagged, classFlagged ? double(classFlaggedLetters) / double(classFlagged) : 0.0,
                    gp.empty() ? 0.0 : double(classFlaggedLetters) / double(gp.size()), classFlagged, clock.elapsed() / 1000.0);
        std::printf("  combined: AUROC min(global, class) %.4f, global x class %.4f\n", auroc(mp, mn), auroc(pp, pn));
        {
            // The `outlier` issue as the checks store it (outliers.h: the class score; the class
            // flag without rows another class explains).
            std::vector<double> ip, in;
            long issueFlagged = 0, issueLetters = 0, explained = 0, explainedLetters = 0;
            for (std::size_t i = 0; i < ids.size(); ++i) {
                (isLetter[i] ? ip : in).push_back(1.0 - scores->issueScore[i]);
                issueFlagged += scores->issueFlag[i];
                issueLetters += isLetter[i] && scores->issueFlag[i] ? 1 : 0;
                const bool byOther = scores->classFlag[i] && !scores->issueFlag[i];
                explained += byOther ? 1 : 0;
                explainedLetters += byOther && isLetter[i] ? 1 : 0;
            }
            std::printf("  outlier issue (%s): AUROC %.4f; flagged %ld, precision %.4f, recall %.4f; class flags another "
                        "class explains (left out): %ld, of them letters %ld\n",
                        scores->issueWithinClass ? "within class" : "global", auroc(ip, in), issueFlagged,
                        issueFlagged ? double(issueLetters) / double(issueFlagged) : 0.0,
                        ip.empty() ? 0.0 : double(issueLetters) / double(ip.size()), explained, explainedLetters);
        }
        for (const float vote : {0.5f, 0.7f, 0.9f, 1.0f}) {
            // The class flag without rows whose global neighbours carry one other label >= VOTE.
            long f = 0, l = 0, fragments = 0;
            for (std::size_t i = 0; i < ids.size(); ++i)
                if (scores->classFlag[i]) {
                    if (scores->otherClassVote[i] >= vote) {
                        ++fragments;
                        continue;
                    }
                    ++f;
                    l += isLetter[i];
                }
            std::printf("  class flag without other-class vote >= %.1f: flagged %ld, precision %.4f, recall %.4f (%ld left out)\n",
                        double(vote), f, f ? double(l) / double(f) : 0.0, double(l) / double(std::max<std::size_t>(1, gp.size())),
                        fragments);
        }
        // Other rules, for the choice (RESULTS.md): the global distance over its class's median
        // global distance; the within-class score at other k.
        {
            std::map<int, std::vector<double>> byClass;
            for (std::size_t i = 0; i < ids.size(); ++i)
                byClass[labels[i]].push_back(scores->meanDistance[i]);
            std::map<int, double> median;
            for (auto &[c, v] : byClass) {
                std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
                median[c] = v[v.size() / 2];
            }
            std::vector<double> np, nn;
            for (std::size_t i = 0; i < ids.size(); ++i)
                (isLetter[i] ? np : nn).push_back(scores->meanDistance[i] / std::max(1e-12, median[labels[i]]));
            std::printf("  global distance / its class's median: AUROC %.4f\n", auroc(np, nn));
        }
        for (const int k : {5, 20, 50}) {
            OutlierOptions o;
            o.k = k;
            const Result<OutlierScores> sk = outlierScores(data.data(), std::int64_t(ids.size()), dim, labels, o, context);
            if (!sk)
                continue;
            std::vector<double> a, b, c2, d2;
            for (std::size_t i = 0; i < ids.size(); ++i) {
                (isLetter[i] ? a : b).push_back(1.0 - sk->score[i]);
                (isLetter[i] ? c2 : d2).push_back(1.0 - sk->classScore[i]);
            }
            std::printf("  k = %d: AUROC global %.4f, within class %.4f\n", k, auroc(a, b), auroc(c2, d2));
        }
    }

    const IssueColumn &o = planted.report.column(IssueType::Outlier);
    if (!o.computed) {
        std::printf("\n");
        return 0;
    }
    for (const auto &[offset, i] : trainSample)
        (outlierIdx.count(offset) ? pos : neg).push_back(1.0 - o.score[std::size_t(i)]);
    std::printf("\noutlier AUROC (thumbnail embedding, global score): %.4f\n", auroc(pos, neg));
    return 0;
}
