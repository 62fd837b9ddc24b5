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

#include "dataset.h"
#include "enumnames.h"

#include <QString>
#include <optional>
#include <vector>

namespace labelscope {

enum class NoiseKind { Symmetric, Swap, Asymmetric };
inline constexpr EnumName<NoiseKind> kNoiseKindNames[] = {
    {NoiseKind::Symmetric, "symmetric"}, {NoiseKind::Swap, "swap"}, {NoiseKind::Asymmetric, "asymmetric"}};

/// The kind named NAME (case and surrounding blanks ignored); std::nullopt otherwise.
std::optional<NoiseKind> parseNoiseKind(const QString &name);
QString noiseKindName(NoiseKind kind);

/// The asymmetric target of each class (size K). Uses the Fashion-MNIST map when the class names
/// are Fashion-MNIST's, else k → (k+1) mod K.
std::vector<int> asymmetricMap(const QStringList &classes);

/// Injects noise into dataset.samples[i].label for samples with a label (and split != "test"),
/// setting trueLabel to the original label for every labelled sample. Seeded, deterministic.
/// rate in [0, 1]. Returns the number of samples whose label changed.
qint64 injectNoise(Dataset &dataset, NoiseKind kind, double rate, quint64 seed);

} // namespace labelscope
