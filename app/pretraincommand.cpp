// `labelscope pretrain`: a self-supervised encoder from the images alone (core/ml/pretrain.h).

#include "cli.h"
#include "commands.h"

#include "ml/pretrain.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace labelscope::app {

int runPretrainCommand(const QStringList &arguments);

int runPretrainCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("pretrain"), QStringLiteral(
        "Learn an image encoder from the images alone (no labels are read) and write it as a\n"
        "TorchScript backbone FILE.pt with its sidecar FILE.json, for --backbone of analyze.\n"
        "Methods: simclr (contrastive, NT-Xent; Chen et al. 2020), byol (online/target networks;\n"
        "Grill et al. 2020), simsiam (stop-gradient; Chen & He 2021). Augmentations: random resized\n"
        "crop, horizontal flip (not for digit classes), brightness/contrast jitter; colour images\n"
        "also saturation jitter and random grey; images from 64 px also Gaussian blur.\n"
        "A checkpoint (FILE.pt.ckpt) is written every epoch, every minute and on Ctrl+C; running the\n"
        "same command again resumes it. The encoder is the --model network's 128-d embedding layer (before its ReLU)."));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Dataset: fashion-mnist, mnist, an IDX folder, an ImageFolder root or a CSV manifest."), QStringLiteral("SPEC"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Output TorchScript file (FILE.pt; the sidecar goes beside it)."), QStringLiteral("FILE.pt"));
    const QCommandLineOption method(QStringLiteral("method"), QStringLiteral("%1 (default simclr).").arg(enumNameList(kPretrainMethodNames)), QStringLiteral("M"), QStringLiteral("simclr"));
    const QCommandLineOption split(QStringLiteral("split"), QStringLiteral("Images used: %1 (default train: the training split and samples without one).").arg(enumNameList(kPretrainSplitNames)), QStringLiteral("S"), QStringLiteral("train"));
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Epochs (default 0: automatic, about 1.5 million views' pairs, 5..200; resuming: the checkpoint's). "
                                                                   "A resumed run may be lengthened or shortened: its learning rate goes on from where it is."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption imageSize(QStringLiteral("image-size"), QStringLiteral("Side the encoder takes (default: IDX images' own, 32 for image files)."), QStringLiteral("S"), QStringLiteral("0"));
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("Encoder network: %1 (default auto: small_cnn for grey images up to 32 px, else small_resnet).").arg(enumNameList(kArchitectureNames)), QStringLiteral("NAME"), QStringLiteral("auto"));
    const QCommandLineOption batch(QStringLiteral("batch-size"), QStringLiteral("Images per step, two views each (default 256)."), QStringLiteral("N"), QStringLiteral("256"));
    const QCommandLineOption lr(QStringLiteral("lr"), QStringLiteral("Adam learning rate (default 0: 1e-3)."), QStringLiteral("LR"), QStringLiteral("0"));
    const QCommandLineOption temperature(QStringLiteral("temperature"), QStringLiteral("SimCLR's temperature (default 0.2)."), QStringLiteral("T"), QStringLiteral("0.2"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Random seed."), QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("Use at most N images per split."), QStringLiteral("N"), QStringLiteral("-1"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("%1.").arg(enumNameList(kDeviceNames)), QStringLiteral("DEVICE"), QStringLiteral("auto"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads (default: measured setting)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption restart(QStringLiteral("restart"), QStringLiteral("Ignore and replace an existing checkpoint."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary as the last line on stdout."));
    cli.addOptions({data, out, method, split, epochs, imageSize, model, batch, lr, temperature, seed, limit, device, threads, restart, json});
    if (const auto exit = cli.parse(arguments, {data, out}))
        return *exit;
    PretrainParams params;
    params.dataSpec = cli.value(data);
    params.outFile = cli.value(out);
    params.method = cli.choice(method, kPretrainMethodNames);
    params.split = cli.choice(split, kPretrainSplitNames);
    params.epochs = int(cli.integer(epochs, 0, 10000));
    params.imageSize = int(cli.integer(imageSize, 0, 1024));
    if (params.imageSize != 0 && params.imageSize < 8)
        cli.usageProblem(QStringLiteral("--image-size must be 0 (the dataset's) or 8..1024 (got %1)").arg(params.imageSize));
    params.model = cli.choice(model, kArchitectureNames);
    params.batchSize = int(cli.integer(batch, 16, 4096));
    params.lr = cli.number(lr, 0.0, 10.0);
    params.temperature = cli.number(temperature, 0.01, 10.0);
    params.seed = cli.unsignedInteger(seed);
    params.limit = cli.integer(limit, -1);
    params.device = cli.choice(device, kDeviceNames);
    params.threads = int(cli.integer(threads, 0, 1024));
    params.restart = cli.isSet(restart);
    if (const auto exit = cli.usageErrors())
        return *exit;
    const Result<PretrainResult> done = cli.run<PretrainResult>(QStringLiteral("pretrain"), [&](JobContext &context) {
        return runPretrain(params, context);
    });
    if (!done)
        return cli.fail(done);
    const PretrainResult &r = done.value();
    QTextStream &err = cli.err();
    for (const auto &s : r.skipped)
        printSkipped(err, s);
    err << QStringLiteral("pretrained a %1 encoder (%2) on %3 images, %4 epochs%5, final loss %6, %7 images/s, in %8: %9 and %10")
               .arg(enumName(kPretrainMethodNames, params.method), r.model).arg(r.images).arg(r.epochs)
               .arg(r.resumedFromEpoch >= 0 ? QStringLiteral(" (resumed in epoch %1)").arg(r.resumedFromEpoch + 1) : QString())
               .arg(r.finalLoss, 0, 'f', 4).arg(r.imagesPerSecond, 0, 'f', 0)
               .arg(formatSeconds(r.seconds), r.outFile, r.sidecarFile) << '\n';
    err.flush();
    if (cli.isSet(json)) {
        const QJsonObject o{{QStringLiteral("out"), r.outFile},
                            {QStringLiteral("sidecar"), r.sidecarFile},
                            {QStringLiteral("method"), enumName(kPretrainMethodNames, params.method)},
                            {QStringLiteral("model"), r.model},
                            {QStringLiteral("images"), r.images},
                            {QStringLiteral("skipped"), qint64(r.skipped.size())},
                            {QStringLiteral("epochs"), r.epochs},
                            {QStringLiteral("resumed_from_epoch"), r.resumedFromEpoch},
                            {QStringLiteral("final_loss"), r.finalLoss},
                            {QStringLiteral("images_per_second"), r.imagesPerSecond},
                            {QStringLiteral("seconds"), r.seconds}};
        QTextStream(stdout) << QJsonDocument(o).toJson(QJsonDocument::Compact) << '\n';
    }
    return ExitOk;
}

static const CommandRegistration pretrainRegistration{
    "pretrain", "a self-supervised encoder from the images alone (SimCLR, BYOL, SimSiam) as a backbone", runPretrainCommand};

} // namespace labelscope::app
