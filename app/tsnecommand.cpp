// `labelscope tsne`: 2-D t-SNE layout of a float32 [N, D] .npy matrix (core/ml/tsne.h).

#include "commands.h"

#include "base/npy.h"
#include "ml/runtime.h"
#include "ml/tsne.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTextStream>

#include <atomic>
#include <csignal>
#include <cstdio>

namespace labelscope::app {

int runTsneCommand(const QStringList &arguments);

namespace {

std::atomic_bool g_tsneCancel{false};

void onTsneSignal(int)
{
    g_tsneCancel = true;
}

} // namespace

int runTsneCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "2-D t-SNE layout of a float32 [N, D] .npy matrix (embeddings, or per-epoch trajectories).\n"
        "Writes a float32 [N, 2] .npy. kNN by FAISS (k = 3 x perplexity), repulsion by FFT\n"
        "interpolation, PCA initialisation, early exaggeration 12 for 250 iterations,\n"
        "learning rate max(N/12, 200). Deterministic for a seed and thread count\n"
        "(on --device cpu and torch-cpu; CUDA runs differ in the last bits)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("tsne"), QStringLiteral("the command"));
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
        QStringLiteral("auto|cpu|cuda|torch-cpu"), QStringLiteral("auto"));
    parser.addOptions({input, output, perplexity, iterations, seed, threads, device});
    QTextStream err(stderr);
    if (!parser.parse(arguments)) {
        err << "labelscope tsne: " << parser.errorText() << "\n";
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText().replace(QLatin1String("[options] tsne"), QLatin1String("tsne [options]"));
        return 0;
    }
    if (!parser.isSet(input) || !parser.isSet(output)) {
        err << "labelscope tsne: --input and --out are required (see --help)\n";
        return 2;
    }
    TsneParams params;
    bool ok1 = false, ok2 = false, ok3 = false, ok4 = false;
    params.perplexity = parser.value(perplexity).toDouble(&ok1);
    params.iterations = parser.value(iterations).toInt(&ok2);
    params.seed = parser.value(seed).toULongLong(&ok3);
    params.threads = parser.value(threads).toInt(&ok4);
    if (!ok1 || !ok2 || !ok3 || !ok4 || !(params.perplexity > 0) || params.iterations < 0) {
        err << "labelscope tsne: bad number in --perplexity, --iterations, --seed or --threads\n";
        return 2;
    }
    params.exaggerationIterations = std::min(params.exaggerationIterations, params.iterations);
    params.device = parser.value(device).trimmed().toLower();
    if (!QStringList{QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda"), QStringLiteral("torch-cpu")}
             .contains(params.device)) {
        err << "labelscope tsne: --device must be auto, cpu, cuda or torch-cpu (got " << parser.value(device) << ")\n";
        return 2;
    }
    if (params.device == QLatin1String("torch-cpu") && params.threads > 0)
        configureRuntime(params.threads); // LibTorch's intra-op threads (this process only)

    QElapsedTimer timer;
    timer.start();
    NpyArray array;
    QString error;
    if (!readNpy(parser.value(input), &array, &error)) {
        err << "labelscope tsne: " << error << "\n";
        return 1;
    }
    if (array.isInteger() || array.shape.size() != 2 || array.shape[0] < 1 || array.shape[1] < 1) {
        QString shape;
        for (int64_t d : array.shape)
            shape += QString::number(d) + QLatin1Char(' ');
        err << "labelscope tsne: " << parser.value(input) << ": need a float [N, D] matrix (got "
            << array.descr << " of shape [" << shape.trimmed() << "])\n";
        return 1;
    }
    const int64_t n = array.shape[0], d = array.shape[1];
    std::vector<float> x(array.doubles.begin(), array.doubles.end());
    array = NpyArray();
    err << "tsne: " << n << " x " << d << " from " << parser.value(input) << ", device " << params.device << "\n";
    err.flush();

    std::signal(SIGINT, onTsneSignal);
    std::signal(SIGTERM, onTsneSignal);
    params.emitEvery = 50;
    const TsneResult result = computeTsne(x.data(), n, d, params, g_tsneCancel, [&](const TsneProgress &p) {
        if (p.layout)
            err << QStringLiteral("tsne: iteration %1/%2  KL %3  |grad| %4  %5 s\n")
                            .arg(p.iteration).arg(p.iterations).arg(p.klDivergence, 0, 'f', 4)
                            .arg(p.gradientNorm, 0, 'g', 3).arg(timer.elapsed() / 1000.0, 0, 'f', 1);
        else
            err << "tsne: " << p.stage << " (" << timer.elapsed() / 1000.0 << " s)\n";
        err.flush();
    });
    if (!result.ok()) {
        err << "labelscope tsne: " << result.error << "\n";
        return result.cancelled ? 130 : 1;
    }
    if (!writeNpy(parser.value(output), {n, 2}, result.layout, &error)) {
        err << "labelscope tsne: " << error << "\n";
        return 1;
    }
    err << QStringLiteral("tsne: done in %1 s, KL %2, perplexity %3, learning rate %4 -> %5\n")
                   .arg(timer.elapsed() / 1000.0, 0, 'f', 1).arg(result.klDivergence, 0, 'f', 4)
                   .arg(result.perplexity).arg(result.learningRate).arg(parser.value(output));
    return 0;
}

static const CommandRegistration tsneRegistration{
    "tsne", "2-D t-SNE layout of a float32 [N, D] .npy matrix", runTsneCommand};

} // namespace labelscope::app
