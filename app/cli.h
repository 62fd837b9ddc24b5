#pragma once
// The one helper every headless command uses (app/*command.cpp): option parsing and --help,
// typed option values with their checks (finite numbers in a range, names from an enum's table),
// usage errors (exit 2), the Ctrl+C / SIGTERM handler (the first signal cancels the running job,
// which stops within a second; a second one ends the process), progress lines on stderr (one
// rewritten line on a terminal; one line per stage and at most every 5 s into a file or pipe),
// and exit codes: 0 done, 1 failed, 2 usage, 130 cancelled.

#include "base/enumnames.h"
#include "base/result.h"
#include "base/dataset.h"
#include "jobs/job.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QString>
#include <QStringList>
#include <QTextStream>

#include <functional>
#include <limits>
#include <optional>
#include <vector>

namespace labelscope {
struct OverlappingClasses;
}

namespace labelscope::app {

enum ExitCode { ExitOk = 0, ExitFailed = 1, ExitUsage = 2, ExitCancelled = 130 };

class Cli {
public:
    /// COMMAND as typed ("analyze"); DESCRIPTION for --help.
    Cli(QString command, const QString &description);

    void addOption(const QCommandLineOption &option) { m_parser.addOption(option); }
    void addOptions(const QList<QCommandLineOption> &options) { m_parser.addOptions(options); }
    /// A positional argument after the command (e.g. an action); by default any is refused.
    void addPositional(const QString &name, const QString &description)
    {
        m_parser.addPositionalArgument(name, description);
        m_positionals = true;
    }

    /// Parses ARGUMENTS (argv[0] is the program, argv[1] the command). Returns an exit code when
    /// the command should stop (help printed: 0; a parse error or a missing REQUIRED option: 2),
    /// nullopt to go on.
    std::optional<int> parse(const QStringList &arguments, const QList<QCommandLineOption> &required = {});

    bool isSet(const QCommandLineOption &option) const { return m_parser.isSet(option); }
    QString value(const QCommandLineOption &option) const { return m_parser.value(option); }
    QStringList positionalArguments() const { return m_parser.positionalArguments(); }

    // Typed values. A bad value records a usage error naming the option and returns the
    // default (or 0); check usageErrors() once after reading them all.
    qint64 integer(const QCommandLineOption &option, qint64 min = std::numeric_limits<qint64>::min(),
                   qint64 max = std::numeric_limits<qint64>::max());
    quint64 unsignedInteger(const QCommandLineOption &option);
    /// A finite number in [min, max] (NaN and infinities are refused).
    double number(const QCommandLineOption &option, double min = -std::numeric_limits<double>::max(),
                  double max = std::numeric_limits<double>::max());
    template <class E, std::size_t N>
    E choice(const QCommandLineOption &option, const EnumName<E> (&table)[N])
    {
        const QString text = value(option);
        if (const std::optional<E> v = enumFromName(table, text))
            return *v;
        usageProblem(QStringLiteral("--%1 must be %2 (got '%3')").arg(option.names().first(), enumNameList(table), text));
        return table[0].value;
    }
    /// Records a usage problem of the caller's own checks.
    void usageProblem(const QString &message) { m_usageErrors << message; }
    /// Prints the recorded usage problems and returns 2, or returns nullopt when there are none.
    std::optional<int> usageErrors();

    /// "labelscope COMMAND: MESSAGE" on stderr; returns CODE.
    int fail(const QString &message, int code = ExitFailed);
    /// The exit code of a failed result (its error printed): 130 when cancelled, else 1.
    template <class T>
    int fail(const Result<T> &result)
    {
        return fail(result.error(), result.isCancelled() ? ExitCancelled : ExitFailed);
    }
    /// stderr, for the command's own report lines.
    QTextStream &err() { return m_err; }

    /// Runs BODY as a job named JOBNAME on this thread: the signal handler is installed, progress
    /// goes to stderr, exceptions become the result's error (core/jobs/job.h).
    template <class T>
    Result<T> run(const QString &jobName, const std::function<Result<T>(JobContext &)> &body)
    {
        JobContext context(jobName, &cancelFlag(), [this](const JobProgress &p) { printProgress(p); });
        installSignalHandlers();
        Result<T> result = runJob<T>(context, body);
        endProgress();
        return result;
    }

    /// Set by SIGINT / SIGTERM once run() installed the handlers.
    static std::atomic_bool &cancelFlag();

private:
    void installSignalHandlers();
    void printProgress(const JobProgress &progress);
    void endProgress();

    QString m_command;
    QCommandLineParser m_parser;
    QStringList m_usageErrors;
    QTextStream m_err;
    bool m_tty = false;
    bool m_positionals = false;
    bool m_lineOpen = false;
    QString m_lastStage;
    double m_lastLineSeconds = -1e9;
};

/// "1m05s", "42s", "?" for a negative value.
QString formatSeconds(double seconds);

/// One "skipped: FILE (LOCATION): REASON" line per item.
void printSkipped(QTextStream &err, const SkippedItem &item);

/// One "overlapping classes (find_overlapping_classes; WHAT): A ↔ B: N samples (P%); …" line
/// with the first five PAIRS (CLASSNAMES for the names; indices where empty); nothing when
/// there are none.
void printOverlappingClasses(QTextStream &err, const std::vector<OverlappingClasses> &pairs,
                             const QStringList &classNames, const QString &what);

} // namespace labelscope::app
