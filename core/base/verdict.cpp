#include "verdict.h"

namespace labelscope {

// Rule:
//   noise score s = mean of the available scores (dpScore, clScore);
//   posterior P(wrong | s) from the per-class two-component mixture of categorizeScores();
//   hard when the posterior >= rule.hardPosterior, or when find_label_issues flagged the sample
//   and the posterior >= rule.clIssueHardPosterior (0.3): Confident Learning's per-class-pair
//   counts catch class-conditional flips that one score's mixture misses (20% asymmetric F1
//   .7550 → .7665, 20% symmetric ±.0002 on the runs in RESULTS.md);
//   easy when the posterior <= rule.easyPosterior and find_label_issues did not flag the sample;
//   need review otherwise.
// Averaging the two scores ranks better than either alone because their errors differ: the
// dynamics see each sample ~3 times per model over several models (low variance) but have
// partly memorised it; the out-of-sample probability cannot have memorised it but comes from
// one model (figures in RESULTS.md).
Categorization combineVerdict(const VerdictInputs &in, const CategoryRule &rule)
{
    const std::size_t n = in.givenLabels.size();
    const bool dp = !in.dpScore.empty(), cl = !in.clScore.empty();
    if ((dp && in.dpScore.size() != n) || (cl && in.clScore.size() != n)
        || (!in.clIssue.empty() && in.clIssue.size() != n) || (!dp && !cl))
        return {};
    std::vector<float> score(n);
    for (std::size_t i = 0; i < n; ++i) {
        double s = 0.0;
        int k = 0;
        if (dp) {
            s += in.dpScore[i];
            ++k;
        }
        if (cl) {
            s += in.clScore[i];
            ++k;
        }
        score[i] = float(s / k);
    }
    Categorization c = categorizeScores(score, in.givenLabels, rule);
    if (!in.clIssue.empty())
        for (std::size_t i = 0; i < n; ++i) {
            if (!in.clIssue[i])
                continue;
            if (c.posterior[i] >= rule.clIssueHardPosterior)
                c.category[i] = Category::Hard;
            else if (c.category[i] == Category::Easy)
                c.category[i] = Category::NeedReview;
        }
    return c;
}

} // namespace labelscope
