// Label-noise injection. Every random choice comes from std::mt19937_64 (whose output the
// standard fixes) through boundedDraw() below, never through std::uniform_int_distribution or
// std::shuffle, whose algorithms are implementation-defined: the same seed gives the same noise
// with every compiler and standard library.

#include "noise.h"

#include <algorithm>
#include <cmath>
#include <random>

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

} // namespace

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
    }
    return changed;
}

} // namespace labelscope
