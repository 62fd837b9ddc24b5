#pragma once
// Sample categories shown as border colours: green easy, red hard (likely mislabelled or an
// outlier), orange need review.

#include <QString>

namespace labelscope {

enum class Category : int { Unknown = -1, Easy = 0, Hard = 1, NeedReview = 2 };

/// "easy", "hard", "need_review", "unknown".
QString categoryName(Category c);
/// Inverse of categoryName; Unknown for anything else.
Category categoryFromName(const QString &name);

} // namespace labelscope
