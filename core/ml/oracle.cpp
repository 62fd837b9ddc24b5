#include "oracle.h"

#include <utility>

namespace labelscope {

Oracle::Oracle(std::vector<int> trueLabels) : m_labels(std::move(trueLabels)), m_revealed(m_labels.size(), 0)
{
}

int Oracle::query(int64_t index)
{
    if (index < 0 || index >= size())
        return -2;
    if (!m_revealed[std::size_t(index)]) {
        m_revealed[std::size_t(index)] = 1;
        ++m_queries;
    }
    return m_labels[std::size_t(index)];
}

bool Oracle::isRevealed(int64_t index) const
{
    return index >= 0 && index < size() && m_revealed[std::size_t(index)];
}

double Oracle::audit(const std::vector<int64_t> &indices, const std::vector<int> &guesses) const
{
    if (indices.empty() || indices.size() != guesses.size())
        return -1;
    int64_t right = 0;
    for (std::size_t i = 0; i < indices.size(); ++i)
        if (indices[i] >= 0 && indices[i] < size() && m_labels[std::size_t(indices[i])] == guesses[i])
            ++right;
    return double(right) / double(indices.size());
}

} // namespace labelscope
