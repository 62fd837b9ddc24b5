// Label-noise injection. Every random choice comes from std::mt19937_64 (whose output the
// standard fixes) through boundedDraw() below, never through std::uniform_int_distribution or
// std::shuffle, whose algorithms are implementation-defined: the same seed gives the same noise
// with every compiler and standard library.

#include "noise.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

namespace labelscope {

namespace {

/// Unbiased integer in [0, n), n >= 1: rejects the draws below 2^64 mod n, so that the
/// accepted range is a whole multiple of n.
quint64 boundedDraw(std::mt19937_64 &rng, quint64 n)
{
    const quint64 threshold = (0 - n) % n;
    for (;;) {
        const quint64 r = rng();
        if (r >= threshold)
            return r % n;
    }
}

/// Moves a uniformly random subset of k elements of v to its front (partial Fisher-Yates).
void chooseFront(std::vector<std::size_t> &v, std::size_t k, std::mt19937_64 &rng)
{
    k = std::min(k, v.size());
    for (std::size_t i = 0; i < k; ++i) {
        const std::size_t j = i + std::size_t(boundedDraw(rng, quint64(v.size() - i)));
        std::swap(v[i], v[j]);
    }
}

/// round(rate * n), rate clamped to [0, 1].
std::size_t countFor(double rate, std::size_t n)
{
    return std::size_t(std::llround(rate * double(n)));
}

std::vector<int> pairMap(int k)
{
    std::vector<int> map(std::size_t(std::max(k, 0)));
    for (int c = 0; c < k; ++c)
        map[std::size_t(c)] = (c + 1) % k;
    return map;
}

/// Uniform double in [0, 1) from 53 random bits (exact, no library distribution).
double unitDraw(std::mt19937_64 &rng)
{
    return double(rng() >> 11) * (1.0 / 9007199254740992.0);
}

/// The class count: the class list's size, or more when labels go beyond it.
int classCountOf(const Dataset &dataset)
{
    int k = int(dataset.classes.size());
    for (const Sample &s : dataset.samples)
        k = std::max(k, s.label + 1);
    return k;
}

bool eligibleSample(const Sample &s)
{
    return s.label >= 0 && s.split != QLatin1String("test");
}

/// K × K distances between the classes' standardised mean images (see noise.h), from the eligible
/// samples' pixels and given labels; empty when the dataset has no pixels for every sample.
std::vector<std::vector<double>> meanImageDistances(const Dataset &dataset, int k)
{
    const std::size_t p = dataset.imageBytes();
    if (p == 0 || dataset.pixels.size() != p * dataset.samples.size())
        return {};
    std::vector<std::vector<double>> means(std::size_t(k), std::vector<double>(p, 0.0));
    std::vector<qint64> counts(std::size_t(k), 0);
    for (std::size_t i = 0; i < dataset.samples.size(); ++i) {
        const Sample &s = dataset.samples[i];
        if (!eligibleSample(s))
            continue;
        std::vector<double> &sum = means[std::size_t(s.label)];
        const std::uint8_t *px = dataset.image(i);
        for (std::size_t j = 0; j < p; ++j)
            sum[j] += px[j];
        ++counts[std::size_t(s.label)];
    }
    for (int c = 0; c < k; ++c) {
        std::vector<double> &m = means[std::size_t(c)];
        if (counts[std::size_t(c)] == 0)
            continue; // a class without samples: a zero vector, at distance 1 from all others
        double mean = 0.0;
        for (double v : m)
            mean += v;
        mean /= double(p);
        double norm = 0.0;
        for (double &v : m) {
            v -= mean;
            norm += v * v;
        }
        norm = std::sqrt(norm);
        for (double &v : m)
            v = norm > 0.0 ? v / norm : 0.0;
    }
    std::vector<std::vector<double>> d(std::size_t(k), std::vector<double>(std::size_t(k), 0.0));
    for (int a = 0; a < k; ++a)
        for (int b = a + 1; b < k; ++b) {
            double sq = 0.0;
            const std::vector<double> &ma = means[std::size_t(a)], &mb = means[std::size_t(b)];
            for (std::size_t j = 0; j < p; ++j)
                sq += (ma[j] - mb[j]) * (ma[j] - mb[j]);
            d[std::size_t(a)][std::size_t(b)] = d[std::size_t(b)][std::size_t(a)] = std::sqrt(sq);
        }
    return d;
}

/// n split into parts proportional to shares (sum 1), the largest remainders rounded up.
std::vector<std::size_t> splitCount(std::size_t n, const std::vector<double> &shares)
{
    std::vector<std::size_t> parts(shares.size(), 0);
    std::vector<std::pair<double, std::size_t>> remainders;
    std::size_t given = 0;
    for (std::size_t j = 0; j < shares.size(); ++j) {
        const double exact = shares[j] * double(n);
        parts[j] = std::size_t(std::floor(exact));
        given += parts[j];
        remainders.push_back({exact - double(parts[j]), j});
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    for (std::size_t r = 0; given < n && r < remainders.size(); ++r, ++given)
        ++parts[remainders[r].second];
    return parts;
}

} // namespace

std::vector<LookalikeClass> lookalikePlan(const Dataset &dataset, double rate, quint64 seed)
{
    if (!(rate > 0.0)) // also NaN
        rate = 0.0;
    rate = std::min(rate, 1.0);
    const int k = classCountOf(dataset);
    std::vector<LookalikeClass> plan(std::size_t(std::max(k, 0)));
    for (const Sample &s : dataset.samples)
        if (eligibleSample(s))
            ++plan[std::size_t(s.label)].eligible;
    if (k < 2)
        return plan;

    // Look-alikes: the nearest classes by standardised mean image (ties: the lower index), or
    // k+1, k+2 mod K, equally close, without pixels.
    const std::size_t m = std::size_t(std::min(2, k - 1));
    const std::vector<std::vector<double>> d = meanImageDistances(dataset, k);
    for (int c = 0; c < k; ++c) {
        LookalikeClass &lc = plan[std::size_t(c)];
        std::vector<std::pair<double, int>> others;
        for (int o = 0; o < k; ++o)
            if (o != c)
                others.push_back({d.empty() ? double((o - c + k) % k) : d[std::size_t(c)][std::size_t(o)], o});
        std::stable_sort(others.begin(), others.end(),
                         [](const auto &a, const auto &b) { return a.first < b.first; });
        double total = 0.0;
        for (std::size_t j = 0; j < m; ++j) {
            lc.lookalikes.push_back(others[j].second);
            lc.distances.push_back(d.empty() ? 1.0 : others[j].first);
            // A floor keeps identical mean images (distance 0) finite.
            const double w = 1.0 / std::max(lc.distances.back() * lc.distances.back(), 1e-6);
            lc.shares.push_back(w);
            total += w;
        }
        for (double &w : lc.shares)
            w /= total;
    }

    // Class rates: u_c × d̄ / d_c, scaled to the overall rate under the per-class cap.
    std::mt19937_64 rng(seed);
    double meanNearest = 0.0;
    for (const LookalikeClass &lc : plan)
        meanNearest += lc.distances.front();
    meanNearest /= double(k);
    std::vector<double> weight(static_cast<std::size_t>(k));
    for (int c = 0; c < k; ++c) {
        const double u = 0.5 + unitDraw(rng);
        weight[std::size_t(c)] = u * std::max(meanNearest, 1e-3) / std::max(plan[std::size_t(c)].distances.front(), 1e-3);
    }
    const double cap = std::max(0.45, rate);
    qint64 eligible = 0;
    for (const LookalikeClass &lc : plan)
        eligible += lc.eligible;
    const double target = rate * double(eligible);
    const auto flipped = [&](double scale) {
        double sum = 0.0;
        for (int c = 0; c < k; ++c)
            sum += double(plan[std::size_t(c)].eligible) * std::min(cap, scale * weight[std::size_t(c)]);
        return sum;
    };
    // flipped() grows with the scale up to cap × eligible >= target: bisect for the scale.
    double lo = 0.0, hi = 1.0;
    while (flipped(hi) < target && hi < 1e12)
        hi *= 2.0;
    for (int it = 0; it < 100; ++it) {
        const double mid = 0.5 * (lo + hi);
        (flipped(mid) < target ? lo : hi) = mid;
    }
    for (int c = 0; c < k; ++c)
        plan[std::size_t(c)].rate = rate > 0.0 ? std::min(cap, hi * weight[std::size_t(c)]) : 0.0;
    return plan;
}

std::optional<NoiseKind> parseNoiseKind(const QString &name)
{
    return enumFromName(kNoiseKindNames, name.trimmed().toLower());
}

QString noiseKindName(NoiseKind kind)
{
    return enumName(kNoiseKindNames, kind);
}

std::vector<int> asymmetricMap(const QStringList &classes)
{
    const QStringList fashion = fashionMnistClasses();
    bool isFashion = classes.size() == fashion.size();
    for (int i = 0; isFashion && i < classes.size(); ++i)
        isFashion = classes[i].compare(fashion[i], Qt::CaseInsensitive) == 0;
    if (!isFashion)
        return pairMap(int(classes.size()));
    // T-shirt/top 0, Trouser 1, Pullover 2, Dress 3, Coat 4, Sandal 5, Shirt 6, Sneaker 7, Bag 8,
    // Ankle boot 9. Trouser, Dress and Bag have no look-alike and keep their labels.
    return {6, 1, 4, 3, 2, 7, 0, 5, 8, 7};
}

qint64 injectNoise(Dataset &dataset, NoiseKind kind, double rate, quint64 seed)
{
    if (!(rate > 0.0)) // also NaN
        rate = 0.0;
    rate = std::min(rate, 1.0);
    std::vector<Sample> &samples = dataset.samples;

    // The true label is the label before any noise; a trueLabel already set (noise injected
    // before) is kept.
    int classCount = int(dataset.classes.size());
    std::vector<std::size_t> eligible;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        Sample &s = samples[i];
        if (s.label < 0)
            continue;
        if (s.trueLabel < 0)
            s.trueLabel = s.label;
        classCount = std::max(classCount, s.label + 1);
        if (s.split != QLatin1String("test"))
            eligible.push_back(i);
    }

    std::mt19937_64 rng(seed);
    qint64 changed = 0;
    switch (kind) {
    case NoiseKind::Symmetric: {
        if (classCount < 2)
            return 0;
        const std::size_t k = countFor(rate, eligible.size());
        chooseFront(eligible, k, rng);
        for (std::size_t i = 0; i < k; ++i) {
            Sample &s = samples[eligible[i]];
            int target = int(boundedDraw(rng, quint64(classCount - 1)));
            if (target >= s.label)
                ++target; // uniform over the other classes
            s.label = target;
            ++changed;
        }
        break;
    }
    case NoiseKind::Swap: {
        const std::size_t k = countFor(rate, eligible.size());
        chooseFront(eligible, k, rng);
        std::vector<int> labels(k);
        for (std::size_t i = 0; i < k; ++i)
            labels[i] = samples[eligible[i]].label;
        for (std::size_t i = k; i > 1; --i) // Fisher-Yates over the chosen labels
            std::swap(labels[i - 1], labels[std::size_t(boundedDraw(rng, quint64(i)))]);
        for (std::size_t i = 0; i < k; ++i) {
            Sample &s = samples[eligible[i]];
            changed += s.label != labels[i];
            s.label = labels[i];
        }
        break;
    }
    case NoiseKind::Asymmetric: {
        std::vector<int> map = asymmetricMap(dataset.classes);
        if (int(map.size()) != classCount)
            map = pairMap(classCount);
        std::vector<std::vector<std::size_t>> byClass(static_cast<std::size_t>(classCount));
        for (std::size_t i : eligible)
            byClass[std::size_t(samples[i].label)].push_back(i);
        for (int c = 0; c < classCount; ++c) {
            std::vector<std::size_t> &members = byClass[std::size_t(c)];
            const int target = map[std::size_t(c)];
            if (target == c)
                continue;
            const std::size_t k = countFor(rate, members.size());
            chooseFront(members, k, rng);
            for (std::size_t i = 0; i < k; ++i)
                samples[members[i]].label = target;
            changed += qint64(k);
        }
        break;
    }
    case NoiseKind::Lookalike: {
        const std::vector<LookalikeClass> plan = lookalikePlan(dataset, rate, seed);
        // A second stream, so the class rates' draws do not shift the choice of samples.
        std::mt19937_64 pick(seed ^ 0x9E3779B97F4A7C15ull);
        std::vector<std::vector<std::size_t>> byClass(plan.size());
        for (std::size_t i : eligible)
            byClass[std::size_t(samples[i].label)].push_back(i);
        for (std::size_t c = 0; c < plan.size(); ++c) {
            const LookalikeClass &lc = plan[c];
            std::vector<std::size_t> &members = byClass[c];
            if (lc.lookalikes.empty())
                continue;
            const std::size_t k = countFor(lc.rate, members.size());
            chooseFront(members, k, pick);
            const std::vector<std::size_t> parts = splitCount(k, lc.shares);
            std::size_t next = 0;
            for (std::size_t j = 0; j < parts.size(); ++j)
                for (std::size_t n = 0; n < parts[j]; ++n)
                    samples[members[next++]].label = lc.lookalikes[j];
            changed += qint64(k);
        }
        break;
    }
    }
    return changed;
}

} // namespace labelscope
