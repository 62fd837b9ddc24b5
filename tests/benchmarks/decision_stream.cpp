// decision_stream: a scripted annotator for the store's kill and concurrency trials
// (tests/benchmarks/store_kill_trials.py, store_concurrent.py; figures in RESULTS.md).
//
//   decision_stream --create FILE [--samples N] [--classes K]
//       makes a synthetic project of N samples (K classes) and exits.
//   decision_stream --project FILE --tag T [--count N] [--interval-ms M] [--seed S]
//       applies N decisions one at a time through ProjectStore::applyDecisions (annotator
//       "T#<seq>", so that every decision can be found in label_events) and prints, only after
//       the call returned true,
//           ACK <seq> <latency ms> <ms since start> <wall clock, ms since the epoch>
//       A failed decision prints "FAIL <seq> <error>" on stderr and exits 3.
//   decision_stream --save-runs FILE [--runs R] [--epochs E] [--dim D]
//       saves R synthetic runs over all the project's samples (E epochs of dynamics, D-d
//       embeddings; a stand-in for a large analysis being saved) and prints
//           RUN <i> <ms> <wall clock at the start> <wall clock at the end>
//   decision_stream --project FILE --tag T --plan PLAN [--interval-ms M]
//       a reviewer: applies the decisions of PLAN (one per line: "sample label excluded"), one at
//       a time, as annotator T (the name alone: a second review compares annotators); prints ACK
//       lines as above (seq = the line of PLAN, from 0).
//   decision_stream --agreement PROJECT
//       the conflict queue and agreement of the project's log (core/base/agreement.h):
//           PAIR <a> <b> <samples> <agreed> <kappa>      for each pair of annotators
//           CONFLICTS <n>   then   CONFLICT <sample id>   for each
//   decision_stream --watch PROJECT [--seconds S]
//       another window (issue 18): a ProjectWatcher on the project; at each change it reads the
//       new label events and prints, for each,
//           SEEN <event id> <annotator> <ms from the event's time to now> <sample id>
//       (the event's time is taken just before its transaction commits); stops after S seconds.
// PROJECT/FILE may be a PostgreSQL URL (tests/benchmarks/team_load.py).
// Not a test: it asserts nothing; the scripts check the project afterwards.

#include "base/agreement.h"
#include "base/projectstore.h"
#include "base/projectwatcher.h"
#include "storefixture.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QStringList>
#include <QThread>
#include <QTimer>

#include <algorithm>

#include <cstdio>

using namespace labelscope;

namespace {

QString option(const QStringList &args, const QString &name, const QString &fallback = QString())
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args[i + 1] : fallback;
}

int create(const QString &file, int n, int k)
{
    Dataset ds;
    ds.spec = QStringLiteral("/nonexistent/synthetic");
    for (int c = 0; c < k; ++c)
        ds.classes << QStringLiteral("class %1").arg(c);
    ds.samples.resize(std::size_t(n));
    for (int i = 0; i < n; ++i) {
        Sample &s = ds.samples[std::size_t(i)];
        s.source = QStringLiteral("idx");
        s.path = QStringLiteral("/nonexistent/train-images-idx3-ubyte");
        s.offset = i;
        s.split = QStringLiteral("train");
        s.label = i % k;
        s.trueLabel = i % k;
    }
    ProjectStore store;
    QString error;
    if (!store.open(file, &error) || !store.importDataset(ds, &error)) {
        std::fprintf(stderr, "decision_stream: %s\n", qPrintable(error));
        return 2;
    }
    return 0;
}

int saveRuns(const QString &file, int runs, int epochs, int dim)
{
    ProjectStore store;
    QString error;
    if (!store.open(file, &error)) {
        std::fprintf(stderr, "decision_stream: %s\n", qPrintable(error));
        return 2;
    }
    const RunRecord run = testing::makeRun(int(store.sampleCount()), epochs, dim, 1);
    for (int i = 0; i < runs; ++i) {
        const qint64 start = QDateTime::currentMSecsSinceEpoch();
        QElapsedTimer t;
        t.start();
        if (store.saveRun(run, &error) <= 0) {
            std::fprintf(stderr, "decision_stream: %s\n", qPrintable(error));
            return 3;
        }
        std::printf("RUN %d %lld %lld %lld\n", i, qint64(t.elapsed()), start, qint64(QDateTime::currentMSecsSinceEpoch()));
        std::fflush(stdout);
    }
    return 0;
}

int watch(const QString &file, int seconds)
{
    ProjectStore store;
    QString error;
    if (!store.openExisting(file, &error)) {
        std::fprintf(stderr, "decision_stream: %s\n", qPrintable(error));
        return 2;
    }
    qint64 last = store.lastEventId();
    ProjectWatcher watcher;
    if (!watcher.watch(file, &error)) {
        std::fprintf(stderr, "decision_stream: %s\n", qPrintable(error));
        return 2;
    }
    QObject::connect(&watcher, &ProjectWatcher::changed, [&](const QString &) {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        for (const LabelEvent &e : store.eventsAfter(last)) {
            last = std::max(last, e.id);
            std::printf("SEEN %lld %s %lld %lld\n", e.id, qPrintable(e.annotator), qint64(e.time.msecsTo(now)), e.sampleId);
        }
        std::fflush(stdout);
    });
    std::printf("WATCHING %s\n", qPrintable(store.fileName()));
    std::fflush(stdout);
    QTimer::singleShot(seconds * 1000, qApp, &QCoreApplication::quit);
    return QCoreApplication::exec();
}

int agreement(const QString &file)
{
    ProjectStore store;
    QString error;
    if (!store.openExisting(file, &error)) {
        std::fprintf(stderr, "decision_stream: %s\n", qPrintable(error));
        return 2;
    }
    const AgreementReport report = annotatorAgreement(store.events(), int(store.classes().size()));
    for (const AnnotatorPairAgreement &p : report.pairs)
        std::printf("PAIR %s %s %d %d %.4f\n", qPrintable(p.a), qPrintable(p.b), p.samples, p.agreed, p.kappa);
    std::printf("CONFLICTS %zu\n", report.conflicts.size());
    for (const qint64 id : report.conflicts)
        std::printf("CONFLICT %lld\n", id);
    return 0;
}

// PLAN: one decision per line, "sample label excluded".
std::vector<Decision> readPlan(const QString &file, QString *error)
{
    std::vector<Decision> plan;
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = QStringLiteral("%1: %2").arg(file, f.errorString());
        return {};
    }
    int line = 0;
    while (!f.atEnd()) {
        ++line;
        const QList<QByteArray> fields = f.readLine().simplified().split(' ');
        if (fields.size() != 3) {
            *error = QStringLiteral("%1:%2: expected 'sample label excluded'").arg(file).arg(line);
            return {};
        }
        Decision d;
        d.sampleId = fields[0].toLongLong();
        d.newLabel = fields[1].toInt();
        d.excluded = fields[2] == "1";
        d.reason = d.excluded ? QStringLiteral("exclude") : QStringLiteral("relabel");
        plan.push_back(d);
    }
    return plan;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.contains(QStringLiteral("--create")))
        return create(option(args, QStringLiteral("--create")),
                      option(args, QStringLiteral("--samples"), QStringLiteral("3000")).toInt(),
                      option(args, QStringLiteral("--classes"), QStringLiteral("10")).toInt());

    if (args.contains(QStringLiteral("--agreement")))
        return agreement(option(args, QStringLiteral("--agreement")));
    if (args.contains(QStringLiteral("--watch")))
        return watch(option(args, QStringLiteral("--watch")), option(args, QStringLiteral("--seconds"), QStringLiteral("60")).toInt());
    if (args.contains(QStringLiteral("--save-runs")))
        return saveRuns(option(args, QStringLiteral("--save-runs")),
                        option(args, QStringLiteral("--runs"), QStringLiteral("1")).toInt(),
                        option(args, QStringLiteral("--epochs"), QStringLiteral("30")).toInt(),
                        option(args, QStringLiteral("--dim"), QStringLiteral("64")).toInt());

    const QString file = option(args, QStringLiteral("--project"));
    const QString tag = option(args, QStringLiteral("--tag"), QStringLiteral("stream"));
    const int count = option(args, QStringLiteral("--count"), QStringLiteral("1000000")).toInt();
    const int intervalMs = option(args, QStringLiteral("--interval-ms"), QStringLiteral("0")).toInt();
    QRandomGenerator rng(option(args, QStringLiteral("--seed"), QStringLiteral("1")).toUInt());
    if (file.isEmpty()) {
        std::fprintf(stderr, "usage: decision_stream --project FILE --tag T [--count N] "
                             "[--interval-ms M] [--seed S] | --create FILE [--samples N] [--classes K]"
                             " | --save-runs FILE [--runs R] [--epochs E] [--dim D]\n");
        return 1;
    }
    ProjectStore store;
    QString error;
    if (!store.open(file, &error)) {
        std::fprintf(stderr, "decision_stream: %s\n", qPrintable(error));
        return 2;
    }
    const int n = int(store.sampleCount());
    const int k = int(store.classes().size());
    if (n <= 0 || k <= 0) {
        std::fprintf(stderr, "decision_stream: %s: no samples\n", qPrintable(file));
        return 2;
    }
    const QString planFile = option(args, QStringLiteral("--plan"));
    std::vector<Decision> plan;
    if (!planFile.isEmpty()) {
        plan = readPlan(planFile, &error);
        if (plan.empty()) {
            std::fprintf(stderr, "decision_stream: %s\n", qPrintable(error.isEmpty() ? planFile + QStringLiteral(": empty") : error));
            return 2;
        }
    }
    QElapsedTimer since;
    since.start();
    const int total = plan.empty() ? count : int(plan.size());
    for (int seq = 0; seq < total; ++seq) {
        Decision d;
        if (!plan.empty()) {
            d = plan[std::size_t(seq)];
        } else {
            d.sampleId = 1 + qint64(rng.bounded(n));
            d.newLabel = int(rng.bounded(k + 1)) - 1;
            d.excluded = rng.bounded(10) == 0;
            d.reason = d.excluded ? QStringLiteral("exclude") : QStringLiteral("relabel");
        }
        QElapsedTimer t;
        t.start();
        const QString annotator = plan.empty() ? QStringLiteral("%1#%2").arg(tag).arg(seq) : tag;
        if (!store.applyDecisions({d}, annotator, &error)) {
            std::fprintf(stderr, "FAIL %d %s\n", seq, qPrintable(error));
            return 3;
        }
        const double ms = double(t.nsecsElapsed()) / 1e6;
        std::printf("ACK %d %.3f %lld %lld\n", seq, ms, qint64(since.elapsed()),
                    qint64(QDateTime::currentMSecsSinceEpoch()));
        std::fflush(stdout);
        if (intervalMs > 0)
            QThread::msleep(static_cast<unsigned long>(intervalMs));
    }
    return 0;
}
