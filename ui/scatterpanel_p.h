// Shared by ScatterPanel's source files (scatterpanel.cpp: the view and the selection;
// scatterpanelcompute.cpp: the layout and sub-cluster jobs; scattercolours.cpp: colouring and legend).
#pragma once

#include <QString>

namespace labelscope::ui {

/// The JobRunner names of the panel's jobs (a new job of the same name replaces the old one).
inline const QString kLayoutJob = QStringLiteral("t-SNE layout");
inline const QString kSubclusterJob = QStringLiteral("sub-clusters");

} // namespace labelscope::ui
