// `labelscope tsne`: 2-D t-SNE layout of a float32 [N, D] .npy matrix (core/ml/tsne.h).

#include "cli.h"
#include "commands.h"

#include "base/npy.h"
#include "ml/runtime.h"
#include "ml/tsne.h"

namespace labelscope::app {

namespace {

int runTsneCommand(const QStringList &arguments)
{
    Cli cli(QStringLiteral("tsne"), QStringLiteral(
        "2-D t-SNE layout of a float32 [N, D] .npy matrix (embeddings, or per-epoch trajectories).\n"
        "Writes a float32 [N, 2] .npy. kNN by FAISS (k = 3 x perplexity), repulsion by FFT\n"
        "interpolation, PCA initialisation, early exaggeration 12 for 250 iterations,\n"
        "learning rate max(N/12, 200). Deterministic for a seed and thread count\n"
        "(on --device cpu and torch-cpu; CUDA runs differ in the last bits)."));
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
    cli.addOptions({input, output, perplexity, iterations, seed, threads, device});
    if (const auto exit = cli.parse(arguments, {input, output}))
        return *exit;
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
        context.stage(QStringLiteral("reading"), 0.0, 0.02);
        NpyArray array;
        QString error;
        if (!readNpy(in, &array, &error))
            return R::failure(error);
        if (array.isInteger() || array.shape.size() != 2 || array.shape[0] < 1 || array.shape[1] < 1) {
            QStringList shape;
            for (int64_t d : array.shape)
                shape << QString::number(d);
            return R::failure(QStringLiteral("%1: need a float [N, D] matrix (got %2 of shape [%3])")
                                  .arg(in, array.descr, shape.join(QStringLiteral(", "))));
        }
        if (const QString where = npyNonFiniteFloat32(array); !where.isEmpty())
            return R::failure(QStringLiteral("%1: %2 (t-SNE needs finite values)").arg(in, where));
        const int64_t n = array.shape[0], d = array.shape[1];
        const std::vector<float> x(array.doubles.begin(), array.doubles.end());
        array = NpyArray();
        context.stage(QStringLiteral("t-SNE"), 0.02, 0.98);
        context.progress(0.0, QStringLiteral("%1 x %2 from %3, device %4").arg(n).arg(d).arg(in, enumName(kTsneDeviceNames, params.device)));
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
    "tsne", "2-D t-SNE layout of a float32 [N, D] .npy matrix", runTsneCommand};

} // namespace labelscope::app
