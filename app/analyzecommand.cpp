#include "cli.h"
#include "commands.h"

#include "base/projectstore.h"
#include "base/verdict.h"
#include "ml/analysis.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#ifdef LABELSCOPE_HAVE_UI
#include "reviewapp.h"
#include <QApplication>
#endif

namespace labelscope::app {

int runAnalyzeCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("analyze"), QStringLiteral(
        "Analyse a dataset for label noise: train small networks with Data Parameters in K folds,\n"
        "record the training dynamics of every sample, predict every sample with the fold model\n"
        "that never saw it (out-of-sample pred_probs for Confident Learning), sort samples into\n"
        "easy / hard / need review with a suggested label, and write everything into a project\n"
        "file that the review window opens.\n\n"
        "SPEC is 'fashion-mnist' (or 'mnist'), a folder of IDX files, an ImageFolder root\n"
        "(root/<class>/<image>, or root/<split>/<class>/<image> with splits named train, val,\n"
        "test, ...: val and test are held out) or a CSV manifest (path,label[,split]).\n"
        "If the project exists, its samples and current labels are analysed again."));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Dataset to import (new project)."), QStringLiteral("SPEC"));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Project file to create or update."), QStringLiteral("FILE"));
    const QCommandLineOption noise(QStringLiteral("inject-noise"), QStringLiteral("Corrupt this fraction of labels at import, for experiments (0-1)."), QStringLiteral("RATE"), QStringLiteral("0"));
    const QCommandLineOption kind(QStringLiteral("noise-kind"), QStringLiteral("%1.").arg(enumNameList(kNoiseKindNames)), QStringLiteral("KIND"), QStringLiteral("symmetric"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Random seed."), QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Training epochs (default: automatic)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("Use at most N samples per split (from image files the classes in turn)."), QStringLiteral("N"), QStringLiteral("-1"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("%1.").arg(enumNameList(kDeviceNames)), QStringLiteral("DEVICE"), QStringLiteral("auto"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads (default: measured setting)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption classParams(QStringLiteral("class-parameters"), QStringLiteral("Also learn per-class temperatures."));
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral(
        "Network: auto (grey images up to 32 px: medium_cnn when training runs in bf16 or on CUDA,\n"
        "else small_cnn; otherwise small_resnet), small_cnn, medium_cnn or small_resnet."), QStringLiteral("NAME"), QStringLiteral("auto"));
    const QCommandLineOption precision(QStringLiteral("precision"), QStringLiteral(
        "Training arithmetic: auto (bf16 mixed precision on a CPU with native bfloat16, else fp32),\n"
        "fp32 or bf16."), QStringLiteral("P"), QStringLiteral("auto"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary as the last line on stdout."));
    const QCommandLineOption method(QStringLiteral("method"), QStringLiteral(
        "all (K-fold training with Data Parameters; verdict from the training dynamics and Confident\n"
        "Learning on out-of-sample pred_probs), data-parameters (one model, dynamics only; fastest)\n"
        "or confident-learning (K-fold, out-of-sample pred_probs only), or embedding (no image\n"
        "network: --backbone embeds the images, K-fold heads on the embeddings give dynamics and\n"
        "out-of-sample pred_probs, with a k-nearest-neighbour label signal; same verdict as all)."),
        QStringLiteral("METHOD"), QStringLiteral("all"));
    const QCommandLineOption backbone(QStringLiteral("backbone"), QStringLiteral(
        "TorchScript backbone FILE.pt with its sidecar FILE.json (method embedding; implies\n"
        "--method embedding when --method is not given). Its embeddings are cached in the project."),
        QStringLiteral("FILE.pt"));
    const QCommandLineOption head(QStringLiteral("head"), QStringLiteral("Head on the embeddings: %1 (default mlp).").arg(enumNameList(kEmbeddingHeadNames)),
                                  QStringLiteral("HEAD"), QStringLiteral("mlp"));
    const QCommandLineOption knn(QStringLiteral("knn"), QStringLiteral("k of the nearest-neighbour label signal (default 10)."), QStringLiteral("K"), QStringLiteral("10"));
    const QCommandLineOption folds(QStringLiteral("folds"), QStringLiteral("K of the stratified K-fold (default 4)."), QStringLiteral("K"), QStringLiteral("4"));
    const QCommandLineOption filterBy(QStringLiteral("filter-by"), QStringLiteral("find_label_issues filter_by: %1.").arg(enumNameList(kFilterByNames)),
                                      QStringLiteral("M"), QStringLiteral("prune_by_noise_rate"));
    const QCommandLineOption noHealth(QStringLiteral("no-health"), QStringLiteral(
        "Skip the dataset-health checks after training (labelscope check; they add the outlier\n"
        "score from this run's embeddings)."));
    const QCommandLineOption noLayouts(QStringLiteral("no-layouts"), QStringLiteral("Skip the 2-D t-SNE layouts of the scatter view."));
    const QCommandLineOption foldWorkers(QStringLiteral("fold-workers"),
        QStringLiteral("Fold models trained at once on CPU, the threads split among them\n(default 0: one per two threads from 4 threads up, else 1;\n2 on a busy 2-core machine was 1.8x faster)."),
        QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption imageSize(QStringLiteral("image-size"), QStringLiteral(
        "Side of the square training images for image files, 8-1024 (default 32; IDX images keep\n"
        "their own); training takes about (S/32)^2 times as long. A new project only: an existing\n"
        "one keeps the side it was made at."),
        QStringLiteral("S"), QStringLiteral("32"));
    const QCommandLineOption open(QStringLiteral("open"), QStringLiteral(
        "Open the review window at once and run the analysis in it: progress and Cancel in its\n"
        "status bar, the project shown as soon as its samples are imported, the verdicts when the\n"
        "run is saved. Without a display (or in a build without the window) it runs headless."));
    cli.addOptions({data, project, noise, kind, seed, epochs, limit, device, threads, classParams, model, precision, method, folds, foldWorkers, filterBy, noLayouts, noHealth, backbone, head, knn, imageSize, json, open});
    if (const auto exit = cli.parse(arguments, {project}))
        return *exit;

    AnalysisParams params;
    params.dataSpec = cli.value(data);
    params.projectFile = cli.value(project);
    params.injectNoise = cli.number(noise, 0.0, 1.0);
    params.noiseKind = cli.choice(kind, kNoiseKindNames);
    params.seed = cli.unsignedInteger(seed);
    params.epochs = int(cli.integer(epochs, 0, 1000));
    params.limit = cli.integer(limit, -1);
    params.device = cli.choice(device, kDeviceNames);
    params.threads = int(cli.integer(threads, 0, 1024));
    params.classParameters = cli.isSet(classParams);
    params.method = cli.choice(method, kAnalysisMethodNames);
    params.backbone = cli.value(backbone);
    if (cli.isSet(backbone) && !cli.isSet(method))
        params.method = AnalysisMethod::Embedding;
    params.head = cli.choice(head, kEmbeddingHeadNames);
    params.knnNeighbours = int(cli.integer(knn, 1, 100));
    params.model = cli.choice(model, kArchitectureNames);
    params.precision = cli.choice(precision, kPrecisionNames);
    params.folds = int(cli.integer(folds, 2, 20));
    params.imageSize = int(cli.integer(imageSize, 8, 1024));
    if (cli.isSet(imageSize) && QFileInfo::exists(params.projectFile)) {
        // An existing project's images were made at its own side; say so rather than ignore S.
        ProjectStore store;
        if (store.openExisting(params.projectFile) && store.sampleCount() > 0) {
            const int made = store.meta(QStringLiteral("image_size")).toInt();
            if (made > 0 && made != params.imageSize)
                cli.usageProblem(QStringLiteral("--image-size %1: %2 was made at %3 px; use a new --project file")
                                     .arg(params.imageSize).arg(params.projectFile).arg(made));
        }
    }
    params.foldWorkers = int(cli.integer(foldWorkers, 0, 20));
    params.filterBy = cli.choice(filterBy, kFilterByNames);
    params.layouts = !cli.isSet(noLayouts);
    params.healthChecks = !cli.isSet(noHealth);
    if (cli.isSet(open) && cli.isSet(json))
        cli.usageProblem(QStringLiteral("--open and --json exclude each other (the window shows the summary)"));
    if (const auto exit = cli.usageErrors())
        return *exit;

    if (cli.isSet(open)) {
#ifdef LABELSCOPE_HAVE_UI
        if (qobject_cast<QApplication *>(QCoreApplication::instance())) // app/main.cpp: a display was found
            return ui::runReviewWindowWithAnalysis(params);
        cli.err() << "labelscope analyze: --open: no display (DISPLAY is not set); running headless. "
                  << "Afterwards open the project with: labelscope open " << params.projectFile << '\n';
#else
        cli.err() << "labelscope analyze: --open: this build has no review window; running headless.\n";
#endif
        cli.err().flush();
    }

    const Result<AnalysisResult> run = cli.run<AnalysisResult>(QStringLiteral("analysis"), [&](JobContext &context) {
        return runAnalysis(params, context);
    });
    if (!run)
        return cli.fail(run);
    const AnalysisResult &result = run.value();
    QTextStream &err = cli.err();
    for (const auto &s : result.skipped)
        printSkipped(err, s);
    err << QStringLiteral("analysed %1 samples in %2 on %3: %4 easy, %5 hard, %6 need review")
               .arg(result.samples).arg(formatSeconds(result.seconds), result.device)
               .arg(result.easy).arg(result.hard).arg(result.needReview) << '\n';
    if (result.noise.available)
        err << QStringLiteral("noise detection: AUROC %1, hard precision %2 recall %3 F1 %4, easy noise rate %5")
                   .arg(result.noise.auroc, 0, 'f', 4).arg(result.noise.precision, 0, 'f', 3)
                   .arg(result.noise.recall, 0, 'f', 3).arg(result.noise.f1, 0, 'f', 3)
                   .arg(result.noise.easyNoiseRate, 0, 'f', 4) << '\n';
    for (auto it = result.signals.constBegin(); it != result.signals.constEnd(); ++it)
        err << QStringLiteral("  %1 alone: AUROC %2, precision %3 recall %4 F1 %5")
                   .arg(it.key()).arg(it->auroc, 0, 'f', 4).arg(it->precision, 0, 'f', 3)
                   .arg(it->recall, 0, 'f', 3).arg(it->f1, 0, 'f', 3) << '\n';
    if (result.numLabelIssues >= 0) {
        err << QStringLiteral("find_label_issues (%1, %2-fold out-of-sample pred_probs): %3 label issues")
                   .arg(enumName(kFilterByNames, params.filterBy)).arg(result.folds).arg(result.numLabelIssues);
        if (result.outOfSampleAgreement >= 0.0)
            err << QStringLiteral("; the out-of-sample classifier agrees with %1% of the given labels")
                       .arg(100.0 * result.outOfSampleAgreement, 0, 'f', 1);
        err << '\n';
        printOverlappingClasses(err, result.overlappingClasses, result.classNames,
                                QStringLiteral("pairs the labels or the classifier mix up"));
        if (const QString weak = weakClassifierNote(result.outOfSampleAgreement, !result.backboneFile.isEmpty());
            !weak.isEmpty())
            err << "warning: " << weak << '\n';
    }
    if (!result.backboneFile.isEmpty()) {
        // As the window's run summary: what was extracted now, what came from the project's cache.
        QStringList how;
        if (result.embeddingsExtracted > 0 || result.embeddingsReused == 0)
            how << QStringLiteral("%1 extracted in %2 (%3 images/s)")
                       .arg(result.embeddingsExtracted)
                       .arg(formatSeconds(result.extractionSeconds))
                       .arg(result.extractionImagesPerSecond, 0, 'f', 0);
        if (result.embeddingsReused > 0)
            how << QStringLiteral("%1 reused from %2")
                       .arg(result.embeddingsReused)
                       .arg(result.embeddingsCachedFromRun > 0 ? QStringLiteral("run %1").arg(result.embeddingsCachedFromRun)
                                                               : QStringLiteral("the project"));
        err << QStringLiteral("backbone %1 (%2), %3-d; embeddings: %4")
                   .arg(result.backboneName, result.backboneFile)
                   .arg(result.embeddingDim)
                   .arg(how.join(QStringLiteral(", ")))
            << '\n';
    }
    if (result.health.contains(QStringLiteral("error"))) {
        err << "health checks failed: " << result.health.value(QStringLiteral("error")).toString() << '\n';
    } else if (!result.health.isEmpty()) {
        const QJsonObject issues = result.health.value(QStringLiteral("issues")).toObject();
        QStringList counts;
        for (auto it = issues.constBegin(); it != issues.constEnd(); ++it)
            if (const qint64 n = it.value().toObject().value(QStringLiteral("flagged")).toInteger(); n > 0)
                counts << QStringLiteral("%1 %2").arg(it.key()).arg(n);
        err << "dataset health: " << (counts.isEmpty() ? QStringLiteral("nothing flagged") : counts.join(QStringLiteral(", ")))
            << " (stored in the project)\n";
    }
    if (result.testAccuracy >= 0)
        err << QStringLiteral("test accuracy: %1").arg(result.testAccuracy, 0, 'f', 4) << '\n';
    err << "project written: " << params.projectFile << "  (open it with: labelscope open " << params.projectFile << ")\n";
    err.flush();
    if (cli.isSet(json))
        QTextStream(stdout) << QJsonDocument(result.toJson()).toJson(QJsonDocument::Compact) << '\n';
    return ExitOk;
}

} // namespace labelscope::app
