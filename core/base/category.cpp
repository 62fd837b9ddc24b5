#include "category.h"

namespace labelscope {

QString categoryName(Category c)
{
    switch (c) {
    case Category::Easy: return QStringLiteral("easy");
    case Category::Hard: return QStringLiteral("hard");
    case Category::NeedReview: return QStringLiteral("need_review");
    case Category::Unknown: break;
    }
    return QStringLiteral("unknown");
}

Category categoryFromName(const QString &name)
{
    if (name == QLatin1String("easy"))
        return Category::Easy;
    if (name == QLatin1String("hard"))
        return Category::Hard;
    if (name == QLatin1String("need_review"))
        return Category::NeedReview;
    return Category::Unknown;
}

} // namespace labelscope
