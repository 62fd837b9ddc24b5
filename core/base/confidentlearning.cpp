#include "confidentlearning.h"

#include "sizelimits.h"

#include <QStringList>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace labelscope {

namespace {

constexpr double kFloatTolerance = 1e-6;    // cleanlab FLOATING_POINT_COMPARISON
constexpr double kThresholdLower = 2e-6;    // CONFIDENT_THRESHOLDS_LOWER_BOUND
constexpr double kMissingThreshold = 2.0;   // class without samples: never confident
constexpr double kTiny = 1e-100;

// NumPy's pairwise summation (the order np.sum / np.mean use on one contiguous run), so that
// thresholds and calibration match cleanlab to the last bit.
double pairwiseSum(const double *a, int64_t n, int64_t stride = 1)
{
    if (n < 8) {
        double res = 0.0;
        for (int64_t i = 0; i < n; ++i)
            res += a[i * stride];
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; ++j)
            r[j] = a[j * stride];
        int64_t i = 8;
        for (; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; ++j)
                r[j] += a[(i + j) * stride];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i)
            res += a[i * stride];
        return res;
    }
    int64_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwiseSum(a, n2, stride) + pairwiseSum(a + n2 * stride, n - n2, stride);
}

int argmaxRow(const double *row, int k)
{
    int best = 0;
    for (int j = 1; j < k; ++j)
        if (row[j] > row[best])
            best = j;
    return best;
}

// Rounds a row keeping its (rounded) sum: round half to even, then move the deficit onto the
// entries with the largest fractional parts, or take an excess from the smallest (cleanlab
// round_preserving_sum).
std::vector<int64_t> roundPreservingSum(const std::vector<double> &floats)
{
    const int n = int(floats.size());
    std::vector<double> ints(n);
    for (int i = 0; i < n; ++i)
        ints[i] = std::nearbyint(floats[i]);
    const double origSum = std::nearbyint(pairwiseSum(floats.data(), n));
    double intSum = std::nearbyint(pairwiseSum(ints.data(), n));
    while (std::abs(intSum - origSum) > 1e-6) {
        const double diff = std::nearbyint(origSum - intSum);
        const double increment = diff < 0.0 ? -1.0 : 1.0;
        const int changes = int(std::min<double>(std::abs(diff), n));
        std::vector<int> order(n);
        std::iota(order.begin(), order.end(), 0);
        std::vector<double> frac(n);
        for (int i = 0; i < n; ++i)
            frac[i] = floats[i] - ints[i];
        std::stable_sort(order.begin(), order.end(),
                         [&](int a, int b) { return frac[a] < frac[b]; });
        if (increment > 0) // largest fractional parts gain one; when over, smallest lose one
            std::reverse(order.begin(), order.end());
        for (int c = 0; c < changes; ++c)
            ints[order[c]] += increment;
        intSum = std::nearbyint(pairwiseSum(ints.data(), n));
    }
    std::vector<int64_t> out(n);
    for (int i = 0; i < n; ++i)
        out[i] = int64_t(ints[i]);
    return out;
}

std::vector<double> scoresUnchecked(const std::vector<int> &labels, const double *p, int k,
                                    LabelQualityScore method)
{
    const size_t n = labels.size();
    std::vector<double> s(n);
    if (method == LabelQualityScore::SelfConfidence) {
        for (size_t i = 0; i < n; ++i)
            s[i] = p[i * k + labels[i]];
    } else if (method == LabelQualityScore::NormalizedMargin) {
        for (size_t i = 0; i < n; ++i) {
            const double *row = p + i * k;
            double other = -INFINITY;
            for (int j = 0; j < k; ++j)
                if (j != labels[i])
                    other = std::max(other, row[j]);
            s[i] = (row[labels[i]] - other + 1.0) / 2.0;
        }
    } else { // confidence_weighted_entropy
        const double logK = std::log(double(k));
        for (size_t i = 0; i < n; ++i) {
            const double *row = p + i * k;
            double h = 0.0;
            for (int j = 0; j < k; ++j)
                if (row[j] > 0.0)
                    h -= row[j] * std::log(row[j]);
            const double r = (h / logK) / std::max(row[labels[i]], kFloatTolerance);
            s[i] = std::log(r + 1.0) / std::max(r, kFloatTolerance);
        }
    }
    return s;
}

} // namespace

QString labelIssuesInputError(const std::vector<int> &labels, const std::vector<double> &predProbs,
                              int numClasses)
{
    if (numClasses < 2)
        return QStringLiteral("need at least 2 classes, got %1").arg(numClasses);
    // Checked before anything K×K is allocated (seven such arrays below).
    if (numClasses > kMaxClasses)
        return QStringLiteral("%1 classes, more than the cap of %2 (find_label_issues keeps K×K arrays)")
                .arg(numClasses).arg(kMaxClasses);
    const size_t n = labels.size();
    if (predProbs.size() != n * size_t(numClasses))
        return QStringLiteral("shape mismatch: pred_probs has %1 values, expected N*K = %2*%3")
                .arg(predProbs.size()).arg(n).arg(numClasses);
    for (size_t i = 0; i < n; ++i)
        if (labels[i] < 0 || labels[i] >= numClasses)
            return QStringLiteral("label %1 of sample %2 out of range 0..%3")
                    .arg(labels[i]).arg(i).arg(numClasses - 1);
    for (size_t i = 0; i < predProbs.size(); ++i) {
        const double p = predProbs[i];
        if (std::isnan(p))
            return QStringLiteral("pred_probs[%1, %2] is NaN").arg(i / numClasses).arg(i % numClasses);
        if (p < 0.0 || p > 1.0)
            return QStringLiteral("pred_probs[%1, %2] = %3 outside [0, 1]")
                    .arg(i / numClasses).arg(i % numClasses).arg(p);
    }
    return {};
}

std::vector<double> rankingScores(const std::vector<int> &labels,
                                  const std::vector<double> &predProbs, int numClasses,
                                  LabelQualityScore method, QString *error)
{
    const QString err = labelIssuesInputError(labels, predProbs, numClasses);
    if (!err.isEmpty()) {
        if (error)
            *error = err;
        return {};
    }
    return scoresUnchecked(labels, predProbs.data(), numClasses, method);
}

std::vector<int64_t> calibrateConfidentJoint(const std::vector<int64_t> &confidentJoint,
                                             const std::vector<int64_t> &labelCounts)
{
    const int K = int(labelCounts.size());
    if (K == 0 || confidentJoint.size() != size_t(K) * size_t(K))
        return {};
    int64_t N = 0;
    for (const int64_t c : labelCounts)
        N += c;
    const std::vector<int64_t> &cj = confidentJoint;
    // cleanlab's float order: divide by the row sum, times the class count; the grand total is
    // summed in the transposed memory order NumPy sees.
    std::vector<double> calT(size_t(K) * K); // calT[j*K + i] = calibrated[i][j]
    for (int i = 0; i < K; ++i) {
        int64_t rowSum = 0;
        for (int j = 0; j < K; ++j)
            rowSum += cj[size_t(i) * K + j];
        const double denom = std::max(double(rowSum), kTiny);
        for (int j = 0; j < K; ++j)
            calT[size_t(j) * K + i] = double(cj[size_t(i) * K + j]) / denom * double(labelCounts[i]);
    }
    const double total = std::max(pairwiseSum(calT.data(), int64_t(K) * K), kTiny);
    std::vector<int64_t> cal(size_t(K) * K);
    for (int i = 0; i < K; ++i) {
        std::vector<double> row(K);
        for (int j = 0; j < K; ++j)
            row[j] = calT[size_t(j) * K + i] / total * double(N);
        const std::vector<int64_t> r = roundPreservingSum(row);
        std::copy(r.begin(), r.end(), cal.begin() + size_t(i) * K);
    }
    return cal;
}

std::vector<OverlappingClasses> findOverlappingClasses(const std::vector<int64_t> &calibratedJoint, int numClasses,
                                                       int top, int minClassSize)
{
    const int K = numClasses;
    if (K < 2 || calibratedJoint.size() != size_t(K) * size_t(K))
        return {};
    int64_t total = 0;
    std::vector<int64_t> labelled(size_t(K), 0); // a calibrated row sums to its class's label count
    for (int a = 0; a < K; ++a)
        for (int b = 0; b < K; ++b)
            labelled[size_t(a)] += calibratedJoint[size_t(a) * K + b];
    for (const int64_t c : labelled)
        total += c;
    if (total <= 0)
        return {};
    std::vector<OverlappingClasses> out;
    for (int a = 0; a < K; ++a)
        for (int b = a + 1; b < K; ++b) {
            if (labelled[size_t(a)] < minClassSize || labelled[size_t(b)] < minClassSize)
                continue;
            const int64_t both = calibratedJoint[size_t(a) * K + b] + calibratedJoint[size_t(b) * K + a];
            if (both > 0)
                out.push_back({a, b, both, double(both) / double(total)});
        }
    std::stable_sort(out.begin(), out.end(), [](const OverlappingClasses &x, const OverlappingClasses &y) {
        return x.numOverlapping > y.numOverlapping;
    });
    if (top > 0 && int(out.size()) > top)
        out.resize(size_t(top));
    return out;
}

QJsonObject overlappingClassesToJson(const OverlappingClasses &pair)
{
    return QJsonObject{{QStringLiteral("class_a"), pair.classA},
                       {QStringLiteral("class_b"), pair.classB},
                       {QStringLiteral("num_overlapping_examples"), qint64(pair.numOverlapping)},
                       {QStringLiteral("joint_probability"), pair.jointProbability}};
}

bool overlappingClassesFromJson(const QJsonObject &o, OverlappingClasses *pair)
{
    if (!o.value(QStringLiteral("class_a")).isDouble() || !o.value(QStringLiteral("class_b")).isDouble())
        return false;
    pair->classA = o.value(QStringLiteral("class_a")).toInt();
    pair->classB = o.value(QStringLiteral("class_b")).toInt();
    pair->numOverlapping = o.value(QStringLiteral("num_overlapping_examples")).toInteger();
    pair->jointProbability = o.value(QStringLiteral("joint_probability")).toDouble();
    return true;
}

QString overlappingPairText(const OverlappingClasses &pair, const QStringList &classNames)
{
    const auto name = [&](int c) { return c >= 0 && c < classNames.size() ? classNames[c] : QString::number(c); };
    return QStringLiteral("%1 \u2194 %2: %3 samples (%4%)")
        .arg(name(pair.classA), name(pair.classB))
        .arg(pair.numOverlapping)
        .arg(100.0 * pair.jointProbability, 0, 'f', 1);
}

LabelIssuesResult findLabelIssues(const std::vector<int> &labels,
                                  const std::vector<double> &predProbs, int numClasses,
                                  const LabelIssuesOptions &options)
{
    LabelIssuesResult result;
    result.error = labelIssuesInputError(labels, predProbs, numClasses);
    const FilterBy filterBy = options.filterBy;
    if (result.error.isEmpty() && !(options.fracNoise > 0.0 && options.fracNoise <= 1.0))
        result.error = QStringLiteral("frac_noise %1 outside (0, 1]").arg(options.fracNoise);
    if (result.error.isEmpty() && options.minExamplesPerClass < 0)
        result.error = QStringLiteral("min_examples_per_class must be >= 0");
    if (!result.error.isEmpty())
        return result;

    const int K = numClasses;
    const int64_t N = int64_t(labels.size());
    const double *p = predProbs.data();

    // Samples of each class, in index order.
    std::vector<std::vector<int64_t>> members(K);
    for (int64_t i = 0; i < N; ++i)
        members[labels[i]].push_back(i);
    std::vector<int64_t> counts(K);
    for (int k = 0; k < K; ++k)
        counts[k] = int64_t(members[k].size());

    // 1. Thresholds.
    result.thresholds.assign(K, kMissingThreshold);
    {
        std::vector<double> buf;
        for (int k = 0; k < K; ++k) {
            if (members[k].empty())
                continue;
            buf.clear();
            for (int64_t i : members[k])
                buf.push_back(p[i * K + k]);
            result.thresholds[k] = pairwiseSum(buf.data(), int64_t(buf.size())) / double(buf.size());
        }
        for (double &t : result.thresholds)
            t = std::max(t, kThresholdLower);
    }

    // 2. Confident joint and its off-diagonal samples.
    std::vector<double> cut(K);
    for (int k = 0; k < K; ++k)
        cut[k] = result.thresholds[k] - kFloatTolerance;
    std::vector<int64_t> cj(size_t(K) * K, 0);
    std::vector<char> offDiagonal(N, 0);
    for (int64_t i = 0; i < N; ++i) {
        const double *row = p + i * K;
        int numConfident = 0, firstConfident = -1;
        for (int j = 0; j < K; ++j)
            if (row[j] >= cut[j]) {
                if (numConfident++ == 0)
                    firstConfident = j;
            }
        if (numConfident == 0)
            continue;
        const int guess = numConfident > 1 ? argmaxRow(row, K) : firstConfident;
        ++cj[size_t(labels[i]) * K + guess];
        if (guess != labels[i])
            offDiagonal[i] = 1;
    }
    for (int k = 0; k < K; ++k)
        cj[size_t(k) * K + k] = std::max<int64_t>(cj[size_t(k) * K + k], 1);
    result.confidentJoint = cj;

    // 3. Calibration.
    std::vector<int64_t> cal = calibrateConfidentJoint(cj, counts);
    result.calibratedJoint = cal;

    std::vector<char> mask(N, 0);
    const bool pruneByClass = filterBy == FilterBy::PruneByClass || filterBy == FilterBy::Both;
    const bool pruneByNoise = filterBy == FilterBy::PruneByNoiseRate || filterBy == FilterBy::Both;
    const int mepc = options.minExamplesPerClass;

    if (pruneByClass || pruneByNoise) {
        // 4. Prune counts on the transpose: pcm[true][given] = cal[given][true].
        std::vector<double> pcm(size_t(K) * K);
        for (int r = 0; r < K; ++r)
            for (int c = 0; c < K; ++c)
                pcm[size_t(r) * K + c] = double(cal[size_t(c) * K + r]);
        std::vector<double> newDiag(K), diff(K), numNoise(K);
        for (int c = 0; c < K; ++c) {
            const double d = pcm[size_t(c) * K + c];
            newDiag[c] = std::max(d, double(mepc));
            diff[c] = newDiag[c] - d;
            int nz = 0;
            for (int r = 0; r < K; ++r)
                nz += pcm[size_t(r) * K + c] != 0.0;
            numNoise[c] = std::max(double(nz) - 1.0, 1.0);
        }
        std::vector<double> m(size_t(K) * K);
        for (int r = 0; r < K; ++r)
            for (int c = 0; c < K; ++c) {
                double v = pcm[size_t(r) * K + c] - diff[c] / numNoise[c];
                m[size_t(r) * K + c] = v < 0 ? 0.0 : v;
            }
        for (int c = 0; c < K; ++c)
            m[size_t(c) * K + c] = newDiag[c];
        // frac_noise: scale off-diagonals, give the removed mass back to the diagonal.
        std::vector<double> scaled(size_t(K) * K);
        for (size_t e = 0; e < scaled.size(); ++e)
            scaled[e] = m[e] * options.fracNoise;
        for (int c = 0; c < K; ++c)
            scaled[size_t(c) * K + c] = m[size_t(c) * K + c];
        std::vector<double> colRemoved(K, 0.0);
        for (int r = 0; r < K; ++r)
            for (int c = 0; c < K; ++c)
                colRemoved[c] += m[size_t(r) * K + c] - scaled[size_t(r) * K + c];
        for (int c = 0; c < K; ++c)
            scaled[size_t(c) * K + c] = m[size_t(c) * K + c] + colRemoved[c];
        std::vector<int64_t> prune(size_t(K) * K);
        for (size_t e = 0; e < prune.size(); ++e)
            prune[e] = int64_t(scaled[e]); // truncation, as astype(int)

        std::vector<char> byClass(N, 0), byNoise(N, 0);
        std::vector<int64_t> order;
        std::vector<double> key;
        for (int k = 0; k < K; ++k) {
            const auto &idx = members[k];
            const int64_t nk = int64_t(idx.size());
            // cleanlab writes a class's mask back only when it has more than one sample.
            if (nk <= 1 || nk <= mepc)
                continue;
            key.resize(size_t(nk));
            order.resize(size_t(nk));
            if (pruneByClass) {
                const int64_t numIssues = nk - prune[size_t(k) * K + k];
                if (numIssues >= 1) {
                    for (int64_t a = 0; a < nk; ++a)
                        key[a] = p[idx[a] * K + k];
                    std::iota(order.begin(), order.end(), 0);
                    std::stable_sort(order.begin(), order.end(),
                                     [&](int64_t a, int64_t b) { return key[a] < key[b]; });
                    for (int64_t c = 0; c < std::min(numIssues, nk); ++c)
                        byClass[idx[order[c]]] = 1;
                }
            }
            if (pruneByNoise) {
                for (int j = 0; j < K; ++j) {
                    const int64_t num2prune = prune[size_t(j) * K + k];
                    if (j == k || num2prune <= 0)
                        continue;
                    for (int64_t a = 0; a < nk; ++a)
                        key[a] = -(p[idx[a] * K + j] - p[idx[a] * K + k]);
                    std::iota(order.begin(), order.end(), 0);
                    std::stable_sort(order.begin(), order.end(),
                                     [&](int64_t a, int64_t b) { return key[a] < key[b]; });
                    for (int64_t c = 0; c < std::min(num2prune, nk); ++c)
                        byNoise[idx[order[c]]] = 1;
                }
            }
        }
        for (int64_t i = 0; i < N; ++i)
            mask[i] = filterBy == FilterBy::Both ? (byClass[i] && byNoise[i])
                                                        : (pruneByClass ? byClass[i] : byNoise[i]);
    } else if (filterBy == FilterBy::ConfidentLearning) {
        mask = offDiagonal;
    } else if (filterBy == FilterBy::PredictedNeqGiven) {
        for (int64_t i = 0; i < N; ++i)
            mask[i] = argmaxRow(p + i * K, K) != labels[i];
    }

    // 6. Post-filter: unflag when the given label wins after a 1e-6 nudge.
    auto givenWins = [&](int64_t i) {
        const double *row = p + i * K;
        const int y = labels[i];
        const double py = row[y] + kFloatTolerance;
        for (int j = 0; j < K; ++j) {
            const double v = j == y ? py : row[j];
            if (j < y && v >= py)
                return false; // first-occurrence argmax before y
            if (j > y && v > py)
                return false;
        }
        return true;
    };

    if (filterBy == FilterBy::LowSelfConfidence || filterBy == FilterBy::LowNormalizedMargin) {
        // Number of issues: confident-learning off-diagonals that survive the post-filter.
        int64_t numErrors = 0;
        for (int64_t i = 0; i < N; ++i)
            numErrors += offDiagonal[i] && !givenWins(i);
        const std::vector<double> s = scoresUnchecked(labels, p, K,
                                                      filterBy == FilterBy::LowSelfConfidence ? LabelQualityScore::SelfConfidence
                                                                                              : LabelQualityScore::NormalizedMargin);
        std::vector<int64_t> order(N);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return s[a] < s[b]; });
        for (int64_t c = 0; c < numErrors; ++c)
            mask[order[c]] = 1;
    } else {
        for (int64_t i = 0; i < N; ++i)
            if (mask[i] && givenWins(i))
                mask[i] = 0;
    }

    for (int64_t i = 0; i < N; ++i)
        if (mask[i])
            result.indices.push_back(i);
    if (options.rankBy) {
        const std::vector<double> s = scoresUnchecked(labels, p, K, *options.rankBy);
        std::stable_sort(result.indices.begin(), result.indices.end(),
                         [&](int64_t a, int64_t b) { return s[a] < s[b]; });
    }
    result.numLabelIssues = int64_t(result.indices.size());
    return result;
}

} // namespace labelscope
