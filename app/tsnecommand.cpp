// `labelscope tsne`: 2-D t-SNE layout (core/ml/tsne.h) of a float32 [N, D] .npy matrix, or of a
// backbone's embeddings of a dataset or a project's samples (core/ml/backbonejobs.h).

#include "cli.h"
#include "commands.h"

#include "base/npy.h"
#include "ml/backbonejobs.h"
#include "ml/runtime.h"
#include "ml/tsne.h"

#include <cmath>

namespace labelscope::app {

namespace {

int runTsneCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("tsne"), QStringLiteral(
        "2-D t-SNE layout of a float32 [N, D] .npy matrix (embeddings, or per-epoch trajectories).\n"
        "Writes a float32 [N, 2] .npy. kNN by FAISS (k = 3 x perplexity), repulsion by FFT\n"
        "interpolation, PCA initialisation, early exaggeration 12 for 250 iterations,\n"
        "learning rate max(N/12, 200). Deterministic for a seed and thread count\n"
        "(on --device cpu and torch-cpu; CUDA runs differ in the last bits).\n\n"
        "With --backbone FILE.pt instead of --input, the matrix is the backbone's embeddings of the\n"
        "images of --data SPEC (row i = the i-th readable sample, train split then test) or of the\n"
        "project --project P (row i = the i-th readable sample by id; the embeddings are cached in\n"
        "the project, so a second layout extracts nothing). Unreadable images are left out and listed."));
    const QCommandLineOption input(QStringLiteral("input"), QStringLiteral("Input .npy, float32 or float64 [N, D]."), QStringLiteral("X.npy"));
    const QCommandLineOption output(QStringLiteral("out"), QStringLiteral("Output .npy, float32 [N, 2]."), QStringLiteral("Y.npy"));
    const QCommandLineOption perplexity(QStringLiteral("perplexity"), QStringLiteral("Perplexity (default 30)."), QStringLiteral("P"), QStringLiteral("30"));
    const QCommandLineOption iterations(QStringLiteral("iterations"), QStringLiteral("Total iterations, exaggeration phase included (default 750)."), QStringLiteral("N"), QStringLiteral("750"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Random seed (default 1)."), QStringLiteral("S"), QStringLiteral("1"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("CPU threads (default: all cores)."), QStringLiteral("T"), QStringLiteral("0"));
    const QCommandLineOption device(
        QStringLiteral("device"),
        QStringLiteral("Where the optimisation runs (kNN and affinities always on the CPU): auto = cuda when "
                       "LibTorch sees a GPU, else cpu (default); cpu = FFTW on the CPU cores; cuda = LibTorch "
                       "on the GPU, float32 (error without CUDA); torch-cpu = the LibTorch path on the CPU "
                       "(for comparison; --threads sets LibTorch's threads; 1 is much faster on a busy machine)."),
        enumNames(kTsneDeviceNames).join(QLatin1Char('|')), QStringLiteral("auto"));
    const QCommandLineOption backbone(QStringLiteral("backbone"), QStringLiteral(
        "TorchScript backbone FILE.pt with its sidecar FILE.json: lay out its embeddings of --data or --project."), QStringLiteral("FILE.pt"));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Dataset SPEC whose images --backbone embeds."), QStringLiteral("SPEC"));
    const QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Project whose samples --backbone embeds (cached in it)."), QStringLiteral("FILE"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("With --data: at most N samples per split."), QStringLiteral("N"), QStringLiteral("-1"));
    const QCommandLineOption embeddingsOut(QStringLiteral("embeddings-out"), QStringLiteral("With --backbone: also write the embeddings, float32 [N, D] .npy."), QStringLiteral("X.npy"));
    const QCommandLineOption backboneDevice(QStringLiteral("backbone-device"), QStringLiteral("Where the backbone runs: %1 (default auto).").arg(enumNameList(kDeviceNames)),
                                            QStringLiteral("DEVICE"), QStringLiteral("auto"));
    cli.addOptions({input, output, perplexity, iterations, seed, threads, device, backbone, data, project, limit, embeddingsOut, backboneDevice});
    if (const auto exit = cli.parse(arguments, {output}))
        return *exit;
    const bool fromBackbone = cli.isSet(backbone);
    if (fromBackbone == cli.isSet(input))
        cli.usageProblem(QStringLiteral("give either --input X.npy or --backbone FILE.pt"));
    if (fromBackbone && cli.isSet(data) == cli.isSet(project))
        cli.usageProblem(QStringLiteral("--backbone needs either --data SPEC or --project FILE"));
    if (!fromBackbone && (cli.isSet(data) || cli.isSet(project) || cli.isSet(embeddingsOut)))
        cli.usageProblem(QStringLiteral("--data, --project and --embeddings-out go with --backbone"));
    const qint64 loadLimit = cli.integer(limit, -1);
    const DeviceChoice embedDevice = cli.choice(backboneDevice, kDeviceNames);
    TsneParams params;
    params.perplexity = cli.number(perplexity, 1e-3, 1e6);
    params.iterations = int(cli.integer(iterations, 0, 1000000));
    params.seed = cli.unsignedInteger(seed);
    params.threads = int(cli.integer(threads, 0, 1024));
    params.exaggerationIterations = std::min(params.exaggerationIterations, params.iterations);
    params.device = cli.choice(device, kTsneDeviceNames);
    if (const auto exit = cli.usageErrors())
        return *exit;
    if (params.device == TsneDevice::TorchCpu && params.threads > 0)
        configureRuntime(params.threads); // LibTorch's intra-op threads (this process only)

    QTextStream &err = cli.err();
    params.emitEvery = 50;
    const QString in = cli.value(input), out = cli.value(output);
    double seconds = 0;
    const Result<TsneResult> run = cli.run<TsneResult>(QStringLiteral("t-SNE"), [&](JobContext &context) {
        using R = Result<TsneResult>;
        std::vector<float> x; // [n, d]
        int64_t n = 0, d = 0;
        QString from = in, error;
        double layoutFrom = 0.02;
        if (fromBackbone) {
            context.stage(QStringLiteral("embeddings"), 0.0, 0.5);
            Result<EmbeddingTable> table = [&] {
                if (cli.isSet(project))
                    return embedProject(cli.value(backbone), embedDevice, cli.value(project), context);
                LoadOptions lo;
                lo.limit = loadLimit;
                lo.progress = [&](qint64, qint64) { return !context.isCancelled(); };
                LoadResult loaded = loadDataset(cli.value(data), lo);
                if (!loaded.ok())
                    return context.isCancelled() ? Result<EmbeddingTable>::cancelled() : Result<EmbeddingTable>::failure(loaded.error);
                std::vector<std::uint8_t>().swap(loaded.dataset.pixels); // only the embeddings are needed
                return embedSamples(cli.value(backbone), embedDevice, loaded.dataset.samples, context);
            }();
            if (!table)
                return R::from(table);
            const EmbeddingTable &t = table.value();
            for (const SkippedItem &s : t.skipped)
                printSkipped(err, s);
            if (!t.cacheWarning.isEmpty())
                err << "warning: " << t.cacheWarning << '\n';
            err << QStringLiteral("backbone %1: %2 embeddings reused from the project, %3 extracted in %4 on %5")
                       .arg(t.backboneName).arg(t.reused).arg(t.extracted).arg(formatSeconds(t.extractionSeconds), t.device)
                << '\n' << Qt::flush;
            d = t.dim;
            for (qint64 i = 0; i < t.rows(); ++i)
                if (t.ok[std::size_t(i)]) {
                    x.insert(x.end(), t.row(i), t.row(i) + d);
                    ++n;
                }
            from = t.backboneFile;
            if (n < 1)
                return R::failure(QStringLiteral("%1: no image could be embedded").arg(from));
            for (std::size_t j = 0; j < x.size(); ++j)
                if (!std::isfinite(x[j]))
                    return R::failure(QStringLiteral("%1: embedding %2 has a non-finite value (t-SNE needs finite values)")
                                          .arg(from).arg(j / std::size_t(d)));
            if (cli.isSet(embeddingsOut) && !writeNpy(cli.value(embeddingsOut), {n, d}, x, &error))
                return R::failure(error);
            layoutFrom = 0.5;
        } else {
            context.stage(QStringLiteral("reading"), 0.0, 0.02);
            NpyArray array;
            if (!readNpy(in, &array, &error))
                return R::failure(error);
            if (array.isInteger() || array.shape.size() != 2 || array.shape[0] < 1 || array.shape[1] < 1) {
                QStringList shape;
                for (int64_t e : array.shape)
                    shape << QString::number(e);
                return R::failure(QStringLiteral("%1: need a float [N, D] matrix (got %2 of shape [%3])")
                                      .arg(in, array.descr, shape.join(QStringLiteral(", "))));
            }
            if (const QString where = npyNonFiniteFloat32(array); !where.isEmpty())
                return R::failure(QStringLiteral("%1: %2 (t-SNE needs finite values)").arg(in, where));
            n = array.shape[0];
            d = array.shape[1];
            x.assign(array.doubles.begin(), array.doubles.end());
        }
        context.stage(QStringLiteral("t-SNE"), layoutFrom, 0.98);
        context.progress(0.0, QStringLiteral("%1 x %2 from %3, device %4").arg(n).arg(d).arg(from, enumName(kTsneDeviceNames, params.device)));
        TsneResult result = computeTsne(x.data(), n, d, params, context.cancelFlag(), [&](const TsneProgress &p) {
            context.progress(p.iterations ? double(p.iteration) / p.iterations : 0.0,
                             p.layout ? QStringLiteral("iteration %1/%2 KL %3 |grad| %4")
                                            .arg(p.iteration).arg(p.iterations).arg(p.klDivergence, 0, 'f', 4)
                                            .arg(p.gradientNorm, 0, 'g', 3)
                                      : p.stage);
        });
        if (result.cancelled)
            return R::cancelled();
        if (!result.ok())
            return R::failure(result.error);
        context.stage(QStringLiteral("writing"), 0.98, 1.0);
        if (!writeNpy(out, {n, 2}, result.layout, &error))
            return R::failure(error);
        seconds = context.elapsedSeconds();
        return R(std::move(result));
    });
    if (!run)
        return cli.fail(run);
    err << QStringLiteral("tsne: done in %1, KL %2, perplexity %3, learning rate %4 -> %5\n")
               .arg(formatSeconds(seconds)).arg(run->klDivergence, 0, 'f', 4)
               .arg(run->perplexity).arg(run->learningRate).arg(out);
    return ExitOk;
}

} // namespace

static const CommandRegistration tsneRegistration{
    "tsne", "2-D t-SNE layout of a float32 [N, D] .npy matrix or of a backbone's embeddings", runTsneCommand};

} // namespace labelscope::app
