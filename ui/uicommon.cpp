#include "uicommon.h"

#include "jobs/jobrunner.h"

#include <QWidget>

#include <QDir>

#include <algorithm>
#include <cstring>

namespace labelscope::ui {

JobRunner *jobRunnerFor(QObject *object)
{
    QObject *top = object;
    while (top->parent() && !top->isWidgetType())
        top = top->parent();
    if (top->isWidgetType())
        top = static_cast<QWidget *>(top)->window();
    if (auto *runner = top->findChild<JobRunner *>(QStringLiteral("labelscope-jobs"), Qt::FindDirectChildrenOnly))
        return runner;
    auto *runner = new JobRunner(top);
    runner->setObjectName(QStringLiteral("labelscope-jobs"));
    return runner;
}


QColor categoryColor(Category c)
{
    switch (c) {
    case Category::Easy: return QColor(0x2e, 0x9e, 0x44);
    case Category::Hard: return QColor(0xd7, 0x30, 0x1f);
    case Category::NeedReview: return QColor(0xf0, 0x8c, 0x00);
    case Category::Unknown: break;
    }
    return QColor(0x9a, 0x9a, 0x9a);
}

QString categoryLabel(Category c)
{
    switch (c) {
    case Category::Easy: return QStringLiteral("Easy");
    case Category::Hard: return QStringLiteral("Hard");
    case Category::NeedReview: return QStringLiteral("Need review");
    case Category::Unknown: break;
    }
    return QStringLiteral("Unknown");
}

QString className(const QStringList &classes, int label)
{
    if (label < 0)
        return QStringLiteral("(unlabelled)");
    if (label >= classes.size())
        return QStringLiteral("#%1").arg(label);
    return classes.at(label);
}

QString samplePath(const Sample &sample)
{
    if (sample.source == QLatin1String("idx") || sample.offset >= 0)
        return QStringLiteral("%1#%2").arg(sample.path).arg(sample.offset);
    return sample.path;
}

QImage toQImage(const DecodedImage &image)
{
    if (image.width <= 0 || image.height <= 0)
        return {};
    const int c = image.channels;
    if (c != 1 && c != 3)
        return {};
    const std::size_t rowBytes = std::size_t(image.width) * c;
    if (image.pixels.size() < rowBytes * image.height)
        return {};
    QImage out(image.width, image.height, c == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    if (out.isNull())
        return {};
    for (int y = 0; y < image.height; ++y)
        std::memcpy(out.scanLine(y), image.pixels.data() + y * rowBytes, rowBytes);
    return out;
}

QImage fitImage(const QImage &image, QSize box)
{
    if (image.isNull() || box.isEmpty())
        return image;
    const QSize size = image.size();
    if (size.width() <= box.width() && size.height() <= box.height()) {
        const int factor = std::min(box.width() / size.width(), box.height() / size.height());
        if (factor <= 1)
            return image;
        return image.scaled(size * factor, Qt::IgnoreAspectRatio, Qt::FastTransformation);
    }
    return image.scaled(box, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

} // namespace labelscope::ui
