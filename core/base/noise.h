#pragma once
// Label-noise injection for experiments. The given labels of a Dataset are replaced, and each
// sample's trueLabel keeps the original so that detection can be scored.
// Kinds:
//  - symmetric:  a fraction `rate` of the labelled samples, chosen at random, each moves to a
//                different class chosen uniformly (every chosen sample is flipped).
//  - swap:       the labels of a random fraction are permuted among themselves ("uniform label
//                swap" of Saxena et al., NeurIPS 2019); a few keep their label by chance.
//  - asymmetric: class-conditional; a fraction `rate` of each class moves to a visually similar
//                class by asymmetricMap() (Fashion-MNIST: T-shirt→Shirt, Pullover→Coat,
//                Coat→Pullover, Shirt→T-shirt, Sandal→Sneaker, Sneaker→Sandal, Ankle boot→Sneaker;
//                other datasets: class k → k+1 mod K, as in Patrini et al.'s pair noise).
//  - lookalike:  flips only between look-alike classes, at class-dependent rates, on any dataset
//                (lookalikePlan()). Look-alikes are measured on the data: each class's mean image
//                is standardised (its mean pixel subtracted, scaled to unit length), and the
//                distance of two classes is the Euclidean distance of their standardised means
//                (sqrt(2 - 2r), r the Pearson correlation of the mean images: shape counts,
//                brightness and contrast do not). Each class's look-alikes are its 2 nearest
//                classes (1 when K = 2); its flips are split between them in proportion to
//                1 / distance². Each class's rate is proportional to u_c × d̄ / d_c, with u_c
//                drawn uniformly from [0.5, 1.5] (seeded), d_c the distance to its nearest
//                look-alike and d̄ the mean of the d_c, scaled so that the flips total `rate` of
//                the eligible samples (up to rounding: each class flips round(rate_c × n_c));
//                no class loses more than max(45%, rate) of its samples (the excess goes to the
//                others). So a class with a close look-alike is flipped more often, as
//                annotators confuse close classes more. A dataset without pixels (labels only)
//                uses k+1 and k+2 mod K, equally close.
//                On Fashion-MNIST (the 10,000 t10k images, 28 px; the 60,000 train images give
//                the same but Sneaker → Sandal, Bag: Bag and Ankle boot are almost equally far
//                from Sneaker) the look-alikes are: T-shirt → Shirt, Dress; Trouser → Dress,
//                T-shirt; Pullover → Coat, Shirt; Dress → Trouser, T-shirt; Coat → Shirt,
//                Pullover; Sandal → Sneaker, Ankle boot; Shirt → Coat, Pullover; Sneaker →
//                Sandal, Ankle boot; Bag → Sandal, Coat; Ankle boot → Sandal, Bag.

#include "dataset.h"
#include "enumnames.h"

#include <QString>
#include <optional>
#include <vector>

namespace labelscope {

enum class NoiseKind { Symmetric, Swap, Asymmetric, Lookalike };
inline constexpr EnumName<NoiseKind> kNoiseKindNames[] = {
    {NoiseKind::Symmetric, "symmetric"}, {NoiseKind::Swap, "swap"}, {NoiseKind::Asymmetric, "asymmetric"},
    {NoiseKind::Lookalike, "lookalike"}};

/// The kind named NAME (case and surrounding blanks ignored); std::nullopt otherwise.
std::optional<NoiseKind> parseNoiseKind(const QString &name);
QString noiseKindName(NoiseKind kind);

/// The asymmetric target of each class (size K). Uses the Fashion-MNIST map when the class names
/// are Fashion-MNIST's, else k → (k+1) mod K.
std::vector<int> asymmetricMap(const QStringList &classes);

/// What the lookalike kind does to one class.
struct LookalikeClass {
    std::vector<int> lookalikes; ///< target classes, nearest first (empty when K < 2)
    std::vector<double> shares;  ///< fraction of the class's flips going to each look-alike (sum 1)
    std::vector<double> distances; ///< standardised mean-image distance to each look-alike, in [0, 2]
    double rate = 0.0;           ///< fraction of the class's eligible samples that is flipped
    qint64 eligible = 0;         ///< labelled, non-test samples of the class before the noise
};

/// The lookalike kind's plan for DATASET at overall RATE (see the file comment): one entry per
/// class (size K; K = max(classes, largest label + 1)). Reads the given labels and, when
/// dataset.pixels holds every sample's image, the pixels; changes nothing. Seeded, deterministic.
std::vector<LookalikeClass> lookalikePlan(const Dataset &dataset, double rate, quint64 seed);

/// Injects noise into dataset.samples[i].label for samples with a label (and split != "test"),
/// setting trueLabel to the original label for every labelled sample. Seeded, deterministic.
/// rate in [0, 1]. Returns the number of samples whose label changed.
qint64 injectNoise(Dataset &dataset, NoiseKind kind, double rate, quint64 seed);

} // namespace labelscope
