#pragma once
// Small helpers shared by the review window's widgets: category colours and names, sample
// display strings, image conversion and pixel-art friendly scaling.

#include "base/category.h"
#include "base/dataset.h"

#include <QColor>
#include <QImage>
#include <QSize>
#include <QString>
#include <QStringList>

class QObject;

namespace labelscope {
class JobRunner;
}

namespace labelscope::ui {

/// The one job runner of OBJECT's window (core/jobs/jobrunner.h), created on first use as a
/// child of the top-level widget above OBJECT (or of its topmost ancestor when no widget is
/// above it). Every long job of the window runs through it; widgets tell their jobs apart by
/// name. A DONE callback must guard against its widget being gone (QPointer).
JobRunner *jobRunnerFor(QObject *object);

/// Border colour of a category: green easy, red hard, orange need review, grey unknown.
QColor categoryColor(Category c);
/// Human-readable category name: "Easy", "Hard", "Need review", "Unknown".
QString categoryLabel(Category c);

/// Class name of LABEL, "(unlabelled)" for -1, "#k" when out of range.
QString className(const QStringList &classes, int label);

/// Where a sample's pixels live: the file, or `<idxfile>#<offset>` for IDX samples.
QString samplePath(const Sample &sample);

/// Deep copy of a decoded HWC uint8 image (1 or 3 channels) into a QImage (Grayscale8 / RGB888).
QImage toQImage(const DecodedImage &image);

/// Scales IMAGE to fit BOX. Small images (pixel art such as 28×28 digits) are enlarged by the
/// largest whole factor with nearest-neighbour sampling so that pixels stay crisp; larger images
/// are reduced smoothly. Never enlarges beyond BOX.
QImage fitImage(const QImage &image, QSize box);

} // namespace labelscope::ui
