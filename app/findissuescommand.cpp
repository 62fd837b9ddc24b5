// `labelscope find-issues`: Confident Learning on given labels and out-of-sample pred_probs from
// files, as cleanlab's find_label_issues.

#include "cli.h"
#include "commands.h"

#include "base/confidentlearning.h"
#include "base/labelfiles.h"
#include "base/npy.h"
#include "base/savefile.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace labelscope::app {

namespace {

int runFindIssuesCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("find-issues"), QStringLiteral(
        "Find label issues with Confident Learning (the same answer as cleanlab 2.x's\n"
        "find_label_issues on the same inputs).\n\n"
        "Inputs: labels [N] as .npy (any integer dtype) or CSV (one label per line), and\n"
        "out-of-sample pred_probs [N, K] as .npy (float32/float64, C order) or CSV (K numbers per\n"
        "line). Output by extension: .npy (int64 flagged indices) or .csv\n"
        "(index,label,suggested,score: score is the rank_by label-quality score, default\n"
        "self_confidence; lower = more likely wrong; suggested = argmax of pred_probs)."));
    const QCommandLineOption labels(QStringLiteral("labels"), QStringLiteral("Given labels (.npy or .csv)."), QStringLiteral("FILE"));
    const QCommandLineOption predProbs(QStringLiteral("pred-probs"), QStringLiteral("Out-of-sample predicted probabilities (.npy or .csv)."), QStringLiteral("FILE"));
    const QCommandLineOption filterBy(QStringLiteral("filter-by"), QStringLiteral("%1.").arg(enumNameList(kFilterByNames)),
                                      QStringLiteral("M"), QStringLiteral("prune_by_noise_rate"));
    const QCommandLineOption fracNoise(QStringLiteral("frac-noise"), QStringLiteral("Fraction of the estimated issues to flag, in (0, 1]."), QStringLiteral("F"), QStringLiteral("1.0"));
    const QCommandLineOption minExamples(QStringLiteral("min-examples-per-class"), QStringLiteral("Leave at least this many examples in every class."), QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption rankBy(QStringLiteral("rank-by"), QStringLiteral(
        "Order the flagged indices by %1 (most likely wrong first); default: ascending index.").arg(enumNameList(kLabelQualityScoreNames)),
                                    QStringLiteral("S"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Output file (.npy or .csv)."), QStringLiteral("FILE"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary on stdout."));
    cli.addOptions({labels, predProbs, filterBy, fracNoise, minExamples, rankBy, out, json});
    if (const auto exit = cli.parse(arguments, {labels, predProbs, out}))
        return *exit;
    const QString outPath = cli.value(out);
    const bool outNpy = outPath.endsWith(QLatin1String(".npy"), Qt::CaseInsensitive);
    if (!outNpy && !outPath.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive))
        cli.usageProblem(QStringLiteral("--out must end in .npy or .csv, got '%1'").arg(outPath));
    LabelIssuesOptions options;
    options.filterBy = cli.choice(filterBy, kFilterByNames);
    if (cli.isSet(rankBy))
        options.rankBy = cli.choice(rankBy, kLabelQualityScoreNames);
    options.fracNoise = cli.number(fracNoise, 0.0, 1.0);
    options.minExamplesPerClass = int(cli.integer(minExamples, 0, 1000000000));
    if (const auto exit = cli.usageErrors())
        return *exit;

    struct Found {
        LabelIssuesResult issues;
        int n = 0, k = 0;
        double ms = 0;
    };
    const Result<Found> run = cli.run<Found>(QStringLiteral("find-issues"), [&](JobContext &context) {
        using R = Result<Found>;
        context.stage(QStringLiteral("reading"), 0.0, 0.5);
        std::vector<int> given;
        std::vector<double> probs;
        Found found;
        QString error;
        if (!readLabelsFile(cli.value(labels), &given, &error)
            || !readPredProbsFile(cli.value(predProbs), &probs, &found.n, &found.k, &error))
            return R::failure(error);
        if (std::size_t(found.n) != given.size())
            return R::failure(QStringLiteral("%1 has %2 labels but %3 has %4 rows; they must describe the same samples")
                                  .arg(cli.value(labels)).arg(given.size()).arg(cli.value(predProbs)).arg(found.n));
        // The inputs checked here with the file that is at fault named: labels out of range are
        // the labels file's, every other problem (K < 2, K too large, values) the pred_probs file's.
        const QString labelsPath = cli.value(labels), probsPath = cli.value(predProbs);
        if (found.k >= 2) {
            for (std::size_t i = 0; i < given.size(); ++i)
                if (given[i] < 0 || given[i] >= found.k)
                    return R::failure(QStringLiteral("%1: label %2 of sample %3 is out of range 0..%4 (%5 has %6 columns)")
                                          .arg(labelsPath).arg(given[i]).arg(i).arg(found.k - 1).arg(probsPath).arg(found.k));
        }
        if (const QString inputError = labelIssuesInputError(given, probs, found.k); !inputError.isEmpty())
            return R::failure(QStringLiteral("%1: %2").arg(probsPath, inputError));
        context.stage(QStringLiteral("find_label_issues"), 0.5, 0.9);
        QElapsedTimer timer;
        timer.start();
        found.issues = findLabelIssues(given, probs, found.k, options);
        found.ms = double(timer.nsecsElapsed()) / 1e6;
        if (!found.issues.ok())
            return R::failure(found.issues.error);
        context.stage(QStringLiteral("writing"), 0.9, 1.0);
        const std::vector<int64_t> &flagged = found.issues.indices;
        if (outNpy) {
            if (!writeNpy(outPath, {int64_t(flagged.size())}, flagged, &error))
                return R::failure(error);
            return R(std::move(found));
        }
        const std::vector<double> score = rankingScores(given, probs, found.k,
                                                        options.rankBy.value_or(LabelQualityScore::SelfConfidence), &error);
        if (score.size() != given.size())
            return R::failure(error);
        QByteArray text("index,label,suggested,score\n");
        for (int64_t i : flagged) {
            const double *row = probs.data() + std::size_t(i) * std::size_t(found.k);
            const int suggested = int(std::max_element(row, row + found.k) - row);
            text += QByteArray::number(qint64(i)) + ',' + QByteArray::number(given[std::size_t(i)]) + ','
                + QByteArray::number(suggested) + ',' + QByteArray::number(score[std::size_t(i)], 'g', 8) + '\n';
        }
        if (const Result<> written = writeFileAtomically(outPath, text); !written)
            return R::from(written);
        return R(std::move(found));
    });
    if (!run)
        return cli.fail(run);
    cli.err() << QStringLiteral("%1 label issues among %2 samples (%3 classes, filter_by %4) in %5 ms; written to %6")
                     .arg(run->issues.numLabelIssues).arg(run->n).arg(run->k).arg(enumName(kFilterByNames, options.filterBy)).arg(run->ms, 0, 'f', 1).arg(outPath)
              << '\n';
    // cleanlab.dataset.find_overlapping_classes on the same calibrated joint (classes by index).
    const std::vector<OverlappingClasses> overlapping = findOverlappingClasses(run->issues.calibratedJoint, run->k, 20);
    printOverlappingClasses(cli.err(), overlapping, {}, QStringLiteral("classes by index"));
    if (cli.isSet(json)) {
        QJsonArray overlappingJson;
        for (const OverlappingClasses &pair : overlapping)
            overlappingJson.append(overlappingClassesToJson(pair));
        QTextStream(stdout) << QJsonDocument(QJsonObject{{QStringLiteral("samples"), run->n},
                                                         {QStringLiteral("classes"), run->k},
                                                         {QStringLiteral("num_label_issues"), qint64(run->issues.numLabelIssues)},
                                                         {QStringLiteral("filter_by"), enumName(kFilterByNames, options.filterBy)},
                                                         {QStringLiteral("milliseconds"), run->ms},
                                                         {QStringLiteral("overlapping_classes"), overlappingJson}})
                                   .toJson(QJsonDocument::Compact) << '\n';
    }
    return ExitOk;
}

} // namespace

static const CommandRegistration findIssuesRegistration{
    "find-issues", "Confident Learning on labels + pred_probs files (cleanlab's find_label_issues)",
    runFindIssuesCommand};

} // namespace labelscope::app
