#pragma once
// Runs the labelscope binary under test (LABELSCOPE_BINARY, set per test target in
// tests/CMakeLists.txt) and returns its exit code and output; shared by the command-line tests.

#include <QProcess>
#include <QString>
#include <QStringList>

namespace labelscope::testing {

struct Run {
    int exitCode = -1; ///< -1: crashed or timed out
    QString out, err;
};

inline Run runLabelscope(const QStringList &arguments, int timeoutMs = 600000)
{
    QProcess p;
    p.start(QStringLiteral(LABELSCOPE_BINARY), arguments);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace labelscope::testing
