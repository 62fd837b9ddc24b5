#pragma once
// The oracle of an active-learning simulation: it holds the true labels of the pool, which the
// learner never sees, and reveals one label per query, counting the queries (the labelling cost).
// A label that was never queried cannot be read through this class. Torch-free.

#include <cstdint>
#include <vector>

namespace labelscope {

class Oracle {
public:
    /// Takes the true labels [N] (class indices; -1 = unknown) of the pool; index = pool index.
    explicit Oracle(std::vector<int> trueLabels);

    int64_t size() const { return int64_t(m_labels.size()); }
    /// Reveals the label of pool sample `index` (0 ≤ index < size()), counting it once: asking
    /// again for a revealed label returns it without a new charge. Returns -2 for an index out of
    /// range (nothing is revealed).
    int query(int64_t index);
    /// True when `index` has been queried.
    bool isRevealed(int64_t index) const;
    /// Number of distinct labels revealed so far.
    int64_t queries() const { return m_queries; }
    /// For reports only (e.g. the precision of pseudo-labels): the fraction of `guesses` [n]
    /// that equal the true labels of `indices` [n]. Reveals no single label and charges nothing;
    /// the learner must not feed it back. -1 when empty or the sizes differ.
    double audit(const std::vector<int64_t> &indices, const std::vector<int> &guesses) const;

private:
    std::vector<int> m_labels;
    std::vector<char> m_revealed;
    int64_t m_queries = 0;
};

} // namespace labelscope
