// `labelscope similar`: nearest rows of a float32 [N, D] .npy matrix to a row or to the mean of
// several rows (core/ml/similarity.h); `--queries N` times N random row queries instead.

#include "cli.h"
#include "commands.h"

#include "base/npy.h"
#include "ml/similarity.h"

#include <QElapsedTimer>
#include <QTextStream>

#include <algorithm>
#include <random>

namespace labelscope::app {

int runSimilarCommand(const QStringList &arguments);

int runSimilarCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("similar"), QStringLiteral(
        "The k nearest rows (Euclidean) of a float32 [N, D] .npy matrix to one row or to the mean\n"
        "of several rows (the query rows excluded). Prints 'row,distance' lines. Exact (FAISS flat)\n"
        "up to --flat-limit rows, IVF above. --queries N times N random row queries instead (and\n"
        "gives the recall against exact search on 20 of them)."));
    const QCommandLineOption input(QStringLiteral("input"), QStringLiteral("Embeddings .npy, float [N, D]."), QStringLiteral("X.npy"));
    const QCommandLineOption rows(QStringLiteral("rows"), QStringLiteral("Query row(s), comma-separated (mean of several)."), QStringLiteral("R[,R...]"));
    const QCommandLineOption k(QStringLiteral("k"), QStringLiteral("Neighbours (default 10)."), QStringLiteral("K"), QStringLiteral("10"));
    const QCommandLineOption flatLimit(QStringLiteral("flat-limit"), QStringLiteral("Exact search up to this many rows (default 100000)."), QStringLiteral("N"), QStringLiteral("100000"));
    const QCommandLineOption queries(QStringLiteral("queries"), QStringLiteral("Benchmark: time N random row queries."), QStringLiteral("N"), QStringLiteral("0"));
    cli.addOptions({input, rows, k, flatLimit, queries});
    if (const auto exit = cli.parse(arguments, {input}))
        return *exit;
    QTextStream &err = cli.err();
    QTextStream out(stdout);
    const int kk = int(cli.integer(k, 1, 100000));
    SimilarityIndex::Options options;
    options.flatLimit = cli.integer(flatLimit, 1);
    const int nq = int(cli.integer(queries, 0, 10000000));
    if (!cli.isSet(rows) && nq <= 0)
        cli.usageProblem(QStringLiteral("give --rows R[,R...] (or --queries N)"));
    // The row numbers' form now (their range once the matrix is read): "--rows ,," once gave
    // an empty query, answered with no rows and exit 0.
    std::vector<int64_t> query;
    if (cli.isSet(rows)) {
        for (const QString &s : cli.value(rows).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            bool ok = false;
            const int64_t r = s.trimmed().toLongLong(&ok);
            if (!ok || r < 0) {
                cli.usageProblem(QStringLiteral("--rows expects row numbers >= 0, got '%1'").arg(s));
                break;
            }
            query.push_back(r);
        }
        if (query.empty() && nq <= 0)
            cli.usageProblem(QStringLiteral("--rows expects one or more row numbers, got '%1'").arg(cli.value(rows)));
    }
    if (const auto exit = cli.usageErrors())
        return *exit;
    QElapsedTimer timer;
    timer.start();
    NpyArray array;
    QString error;
    if (!readNpy(cli.value(input), &array, &error)) {
        err << "labelscope similar: " << error << "\n";
        return 1;
    }
    if (array.isInteger() || array.shape.size() != 2 || array.shape[0] < 1 || array.shape[1] < 1) {
        err << "labelscope similar: " << cli.value(input) << ": need a float [N, D] matrix\n";
        return 1;
    }
    if (const QString where = npyNonFiniteFloat32(array); !where.isEmpty()) {
        err << "labelscope similar: " << cli.value(input) << ": " << where << " (distances need finite values)\n";
        return 1;
    }
    const int64_t n = array.shape[0], d = array.shape[1];
    std::vector<float> x(array.doubles.begin(), array.doubles.end());
    array = NpyArray();
    err << "similar: read " << n << " x " << d << " in " << timer.elapsed() / 1000.0 << " s\n";
    err.flush();
    timer.restart();
    SimilarityIndex index;
    if (!index.build(x.data(), n, d, &error, nullptr, options)) {
        err << "labelscope similar: " << error << "\n";
        return 1;
    }
    err << "similar: " << (index.isExact() ? "flat" : "IVF") << " index built in " << timer.elapsed() / 1000.0 << " s\n";
    err.flush();

    if (nq > 0) {
        std::mt19937_64 rng(1);
        std::uniform_int_distribution<int64_t> pick(0, n - 1);
        std::vector<double> ms;
        for (int q = 0; q < nq; ++q) {
            const int64_t r = pick(rng);
            QElapsedTimer t;
            t.start();
            const auto hits = index.nearestToRow(r, kk);
            ms.push_back(t.nsecsElapsed() / 1e6);
            if (int(hits.size()) != std::min<int64_t>(kk, n - 1)) {
                err << "labelscope similar: query " << r << " returned " << hits.size() << " rows\n";
                return 1;
            }
        }
        // Recall@k of this index against exact search, on 20 of the same rows.
        double recall = 1.0;
        if (!index.isExact()) {
            SimilarityIndex exact;
            SimilarityIndex::Options all;
            all.flatLimit = n;
            if (!exact.build(x.data(), n, d, &error, nullptr, all)) {
                err << "labelscope similar: " << error << "\n";
                return 1;
            }
            std::mt19937_64 again(1);
            int64_t hits = 0, total = 0;
            for (int q = 0; q < std::min(nq, 20); ++q) {
                const int64_t r = pick(again);
                const auto a = exact.nearestToRow(r, kk), b = index.nearestToRow(r, kk);
                for (const auto &h : b)
                    for (const auto &e : a)
                        hits += e.row == h.row;
                total += int64_t(a.size());
            }
            recall = total ? double(hits) / double(total) : 1.0;
        }
        std::sort(ms.begin(), ms.end());
        double sum = 0;
        for (double v : ms)
            sum += v;
        out << QStringLiteral("%1 queries, k=%2, %3 index over %4 x %5: mean %6 ms, median %7 ms, max %8 ms; "
                              "recall@%2 vs exact on 20 rows %9\n")
                       .arg(nq).arg(kk).arg(index.isExact() ? QStringLiteral("flat") : QStringLiteral("IVF"))
                       .arg(n).arg(d).arg(sum / nq, 0, 'f', 2).arg(ms[ms.size() / 2], 0, 'f', 2).arg(ms.back(), 0, 'f', 2)
                       .arg(recall, 0, 'f', 3);
        return 0;
    }
    for (const int64_t r : query) {
        if (r >= n) {
            err << "labelscope similar: --rows: row " << r << " is not in " << cli.value(input) << " (rows 0.." << n - 1 << ")\n";
            return 2;
        }
    }
    out << "row,distance\n";
    for (const auto &h : index.nearestToMean(query, kk))
        out << h.row << ',' << h.distance << '\n';
    return 0;
}

static const CommandRegistration similarRegistration{
    "similar", "nearest rows of a float32 [N, D] .npy matrix to a row or a set of rows", runSimilarCommand};

} // namespace labelscope::app
