// `labelscope find-issues`: Confident Learning on given labels and out-of-sample pred_probs from
// files, as cleanlab's find_label_issues.
#include "commands.h"

#include "base/confidentlearning.h"
#include "base/npy.h"
#include "base/labelfiles.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QTextStream>

namespace labelscope::app {

namespace {

int runFindIssuesCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Find label issues with Confident Learning (the same answer as cleanlab 2.x's\n"
        "find_label_issues on the same inputs).\n\n"
        "Inputs: labels [N] as .npy (any integer dtype) or CSV (one label per line), and\n"
        "out-of-sample pred_probs [N, K] as .npy (float32/float64, C order) or CSV (K numbers per\n"
        "line). Output by extension: .npy (int64 flagged indices) or .csv\n"
        "(index,label,suggested,score: score is the rank_by label-quality score, default\n"
        "self_confidence; lower = more likely wrong; suggested = argmax of pred_probs)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("find-issues"), QStringLiteral("the command"));
    const QCommandLineOption labels(QStringLiteral("labels"), QStringLiteral("Given labels (.npy or .csv)."), QStringLiteral("FILE"));
    const QCommandLineOption predProbs(QStringLiteral("pred-probs"), QStringLiteral("Out-of-sample predicted probabilities (.npy or .csv)."), QStringLiteral("FILE"));
    const QCommandLineOption filterBy(QStringLiteral("filter-by"), QStringLiteral(
        "prune_by_noise_rate (default), prune_by_class, both, confident_learning,\n"
        "predicted_neq_given, low_self_confidence, low_normalized_margin."), QStringLiteral("M"), QStringLiteral("prune_by_noise_rate"));
    const QCommandLineOption fracNoise(QStringLiteral("frac-noise"), QStringLiteral("Fraction of the estimated issues to flag, in (0, 1]."), QStringLiteral("F"), QStringLiteral("1.0"));
    const QCommandLineOption minExamples(QStringLiteral("min-examples-per-class"), QStringLiteral("Leave at least this many examples in every class."), QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption rankBy(QStringLiteral("rank-by"), QStringLiteral(
        "Order the flagged indices by self_confidence, normalized_margin or\n"
        "confidence_weighted_entropy (most likely wrong first); default: ascending index."), QStringLiteral("S"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Output file (.npy or .csv)."), QStringLiteral("FILE"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary on stdout."));
    parser.addOptions({labels, predProbs, filterBy, fracNoise, minExamples, rankBy, out, json});

    QTextStream err(stderr);
    if (!parser.parse(arguments)) {
        err << "labelscope find-issues: " << parser.errorText() << "\nSee 'labelscope find-issues --help'.\n";
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText().replace(QLatin1String("[options] find-issues"), QLatin1String("find-issues [options]"));
        return 0;
    }
    for (const QCommandLineOption *o : {&labels, &predProbs, &out})
        if (!parser.isSet(*o)) {
            err << "labelscope find-issues: --" << o->names().first() << " FILE is required.\n";
            return 2;
        }
    const QString outPath = parser.value(out);
    const bool outNpy = outPath.endsWith(QLatin1String(".npy"), Qt::CaseInsensitive);
    if (!outNpy && !outPath.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive)) {
        err << "labelscope find-issues: --out must end in .npy or .csv, got '" << outPath << "'.\n";
        return 2;
    }
    LabelIssuesOptions options;
    options.filterBy = parser.value(filterBy);
    options.rankBy = parser.value(rankBy);
    bool ok = false;
    options.fracNoise = parser.value(fracNoise).toDouble(&ok);
    if (!ok) {
        err << "labelscope find-issues: --frac-noise expects a number, got '" << parser.value(fracNoise) << "'.\n";
        return 2;
    }
    options.minExamplesPerClass = parser.value(minExamples).toInt(&ok);
    if (!ok) {
        err << "labelscope find-issues: --min-examples-per-class expects an integer, got '" << parser.value(minExamples) << "'.\n";
        return 2;
    }

    std::vector<int> given;
    std::vector<double> probs;
    int n = 0, k = 0;
    QString error;
    if (!readLabelsFile(parser.value(labels), &given, &error) || !readPredProbsFile(parser.value(predProbs), &probs, &n, &k, &error)) {
        err << "labelscope find-issues: " << error << '\n';
        return 1;
    }
    if (std::size_t(n) != given.size()) {
        err << "labelscope find-issues: " << parser.value(labels) << " has " << given.size() << " labels but "
            << parser.value(predProbs) << " has " << n << " rows; they must describe the same samples.\n";
        return 1;
    }
    QElapsedTimer timer;
    timer.start();
    const LabelIssuesResult result = findLabelIssues(given, probs, k, options);
    const double ms = timer.nsecsElapsed() / 1e6;
    if (!result.ok()) {
        err << "labelscope find-issues: " << result.error << '\n';
        return 1;
    }
    if (outNpy) {
        if (!writeNpy(outPath, {int64_t(result.indices.size())}, result.indices, &error)) {
            err << "labelscope find-issues: " << error << '\n';
            return 1;
        }
    } else {
        const QString scoreMethod = options.rankBy.isEmpty() ? QStringLiteral("self_confidence") : options.rankBy;
        const std::vector<double> score = rankingScores(given, probs, k, scoreMethod, &error);
        QSaveFile f(outPath);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) {
            err << "labelscope find-issues: " << outPath << ": cannot write: " << f.errorString() << '\n';
            return 1;
        }
        QTextStream o(&f);
        o << "index,label,suggested,score\n";
        for (int64_t i : result.indices) {
            const double *row = probs.data() + std::size_t(i) * std::size_t(k);
            const int suggested = int(std::max_element(row, row + k) - row);
            o << i << ',' << given[std::size_t(i)] << ',' << suggested << ',' << QString::number(score[std::size_t(i)], 'g', 8) << '\n';
        }
        o.flush();
        if (!f.commit()) {
            err << "labelscope find-issues: " << outPath << ": cannot write: " << f.errorString() << '\n';
            return 1;
        }
    }
    err << QStringLiteral("%1 label issues among %2 samples (%3 classes, filter_by %4) in %5 ms; written to %6")
               .arg(result.numLabelIssues).arg(n).arg(k).arg(options.filterBy).arg(ms, 0, 'f', 1).arg(outPath) << '\n';
    if (parser.isSet(json))
        QTextStream(stdout) << QJsonDocument(QJsonObject{{QStringLiteral("samples"), n},
                                                         {QStringLiteral("classes"), k},
                                                         {QStringLiteral("num_label_issues"), qint64(result.numLabelIssues)},
                                                         {QStringLiteral("filter_by"), options.filterBy},
                                                         {QStringLiteral("milliseconds"), ms}})
                                   .toJson(QJsonDocument::Compact) << '\n';
    return 0;
}

} // namespace

static const CommandRegistration findIssuesRegistration{
    "find-issues", "Confident Learning on labels + pred_probs files (cleanlab's find_label_issues)",
    runFindIssuesCommand};

} // namespace labelscope::app
