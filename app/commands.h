#pragma once
// Sub-commands of the labelscope executable.

#include <QStringList>

namespace labelscope::app {

/// `labelscope analyze ...`: headless analysis; returns the process exit code.
int runAnalyzeCommand(const QStringList &arguments);

/// Top-level usage text.
QString usage();

} // namespace labelscope::app
