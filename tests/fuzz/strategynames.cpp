// The strategy names that core/ml/alconfig.cpp checks against, for the alconfig fuzz target:
// the real ones live in core/ml/querystrategy.cpp, which needs LibTorch and FAISS. A copy of its
// uncertaintyNames() and diversityNames(); when the strategies get a header-only name table
// (core/base/enumnames.h), this file goes.

#include "ml/querystrategy.h"

namespace labelscope {

QStringList uncertaintyNames()
{
    return {QStringLiteral("least_confidence"), QStringLiteral("margin_based"), QStringLiteral("entropy_based"),
            QStringLiteral("random_sampling"), QStringLiteral("bald")};
}

QStringList diversityNames()
{
    return {QStringLiteral("pick_top_n"), QStringLiteral("iterative_proximity_sampling"),
            QStringLiteral("clustering_sampling"), QStringLiteral("random_sampling"), QStringLiteral("coreset"),
            QStringLiteral("ranked_batch"), QStringLiteral("badge")};
}

} // namespace labelscope
