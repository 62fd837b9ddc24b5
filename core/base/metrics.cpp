#include "metrics.h"

#include <algorithm>
#include <numeric>

namespace labelscope {

double auroc(const std::vector<float> &scores, const std::vector<bool> &positive)
{
    const std::size_t n = scores.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    double rankSumPositive = 0.0;
    std::int64_t nPos = 0;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j < n && scores[order[j]] == scores[order[i]])
            ++j;
        const double averageRank = 0.5 * double(i + 1 + j); // ranks i+1 .. j
        for (std::size_t k = i; k < j; ++k)
            if (positive[order[k]]) {
                rankSumPositive += averageRank;
                ++nPos;
            }
        i = j;
    }
    const std::int64_t nNeg = std::int64_t(n) - nPos;
    if (nPos == 0 || nNeg == 0)
        return 0.5;
    const double u = rankSumPositive - double(nPos) * double(nPos + 1) / 2.0;
    return u / (double(nPos) * double(nNeg));
}

double BinaryCounts::precision() const
{
    const auto d = truePositive + falsePositive;
    return d ? double(truePositive) / double(d) : 0.0;
}

double BinaryCounts::recall() const
{
    const auto d = truePositive + falseNegative;
    return d ? double(truePositive) / double(d) : 0.0;
}

double BinaryCounts::f1() const
{
    const double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

BinaryCounts binaryCounts(const std::vector<bool> &flagged, const std::vector<bool> &positive)
{
    BinaryCounts c;
    for (std::size_t i = 0; i < flagged.size(); ++i) {
        if (flagged[i])
            (positive[i] ? c.truePositive : c.falsePositive) += 1;
        else
            (positive[i] ? c.falseNegative : c.trueNegative) += 1;
    }
    return c;
}

} // namespace labelscope
