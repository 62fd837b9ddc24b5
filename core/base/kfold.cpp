#include "kfold.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

namespace labelscope {

std::vector<int> stratifiedKFold(const std::vector<int> &labels, int folds, quint64 seed, QString *error)
{
    const std::size_t n = labels.size();
    if (folds < 2 || std::size_t(folds) > n) {
        if (error)
            *error = QStringLiteral("K-fold needs 2 <= K <= number of samples (K = %1, %2 samples)").arg(folds).arg(n);
        return {};
    }
    std::map<int, std::vector<std::size_t>> members;
    for (std::size_t i = 0; i < n; ++i) {
        if (labels[i] < 0) {
            if (error)
                *error = QStringLiteral("K-fold: sample %1 has no label").arg(i);
            return {};
        }
        members[labels[i]].push_back(i);
    }
    std::mt19937_64 rng(seed);
    std::vector<int> fold(n, -1);
    // One cursor across all classes: the classes, one after another, are dealt cyclically, so
    // both each class and the whole set are split into folds whose sizes differ by at most one.
    int f = 0;
    for (auto &[label, idx] : members) {
        std::shuffle(idx.begin(), idx.end(), rng);
        for (std::size_t i : idx) {
            fold[i] = f;
            f = (f + 1) % folds;
        }
    }
    return fold;
}

} // namespace labelscope
