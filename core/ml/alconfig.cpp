#include "alconfig.h"

#include "options.h"
#include "querystrategy.h"

#include "base/regularfile.h"
#include "base/sizelimits.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>

namespace labelscope {

namespace {

struct ParseError {
    QString message;
};

/// An interval of allowed values, for the checks and their messages ("(0, 10]").
struct Range {
    double lo, hi;
    bool loOpen = false, hiOpen = false;
    bool contains(double v) const
    {
        return (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
    }
    QString text() const
    {
        return QStringLiteral("%1%2, %3%4").arg(loOpen ? QLatin1Char('(') : QLatin1Char('['))
            .arg(lo).arg(hi).arg(hiOpen ? QLatin1Char(')') : QLatin1Char(']'));
    }
};
constexpr int kMaxInt = std::numeric_limits<int>::max();

class Parser {
public:
    Parser(const QString &source, AlConfig *config) : m_source(source), m_config(config) {}

    QString where(const YAML::Node &node) const
    {
        const YAML::Mark m = node.Mark();
        return m.line >= 0 ? QStringLiteral("%1:%2:%3").arg(m_source).arg(m.line + 1).arg(m.column + 1) : m_source;
    }
    [[noreturn]] void fail(const YAML::Node &node, const QString &what) const
    {
        throw ParseError{QStringLiteral("%1: %2").arg(where(node), what)};
    }
    void warn(const YAML::Node &node, const QString &what)
    {
        m_config->warnings << QStringLiteral("%1: %2").arg(where(node), what);
    }

    static QString text(const YAML::Node &n) { return QString::fromStdString(n.Scalar()); }

    QString string(const YAML::Node &n, const QString &key)
    {
        if (n.IsNull())
            return QString();
        if (!n.IsScalar())
            fail(n, QStringLiteral("'%1' must be a single value").arg(key));
        return text(n);
    }
    template<typename T>
    T number(const YAML::Node &n, const QString &key, const char *kind)
    {
        if (!n.IsScalar())
            fail(n, QStringLiteral("'%1' must be %2").arg(key, QLatin1String(kind)));
        try {
            return n.as<T>();
        } catch (const YAML::Exception &) {
            fail(n, QStringLiteral("'%1' must be %2, got '%3'").arg(key, QLatin1String(kind), text(n)));
        }
    }
    /// An integer in [lo, hi]; the error names the key, the range and the value given.
    int integer(const YAML::Node &n, const QString &key, int lo, int hi)
    {
        const int v = number<int>(n, key, "an integer");
        if (v < lo || v > hi)
            fail(n, QStringLiteral("'%1' must be an integer from %2 to %3, got %4").arg(key).arg(lo).arg(hi).arg(v));
        return v;
    }
    /// A finite number in `range`: yaml-cpp reads .inf, -.inf and .nan as numbers, and NaN
    /// passes every comparison-based check, so finiteness is checked first.
    double real(const YAML::Node &n, const QString &key, Range range)
    {
        const double v = number<double>(n, key, "a number");
        if (!std::isfinite(v))
            fail(n, QStringLiteral("'%1' must be a finite number, got '%2'").arg(key, text(n)));
        if (!range.contains(v))
            fail(n, QStringLiteral("'%1' must be in %2, got %3").arg(key, range.text(), text(n)));
        return v;
    }
    bool boolean(const YAML::Node &n, const QString &key) { return number<bool>(n, key, "True or False"); }
    QString oneOf(const YAML::Node &n, const QString &key, const QStringList &allowed)
    {
        const QString v = string(n, key);
        if (!allowed.contains(v))
            fail(n, QStringLiteral("unknown %1 '%2' (use one of: %3)").arg(key, v, allowed.join(QStringLiteral(", "))));
        return v;
    }

    using Handler = std::function<void(const YAML::Node &value, const QString &key)>;
    // Walks a mapping; every key must have a handler.
    void mapping(const YAML::Node &node, const QString &section, const std::map<std::string, Handler> &handlers)
    {
        if (node.IsNull())
            return; // "section:" with nothing under it: defaults
        if (!node.IsMap())
            fail(node, QStringLiteral("section '%1' must be a mapping of keys to values").arg(section));
        for (const auto &kv : node) {
            const std::string key = kv.first.Scalar();
            const auto it = handlers.find(key);
            if (it == handlers.end()) {
                QStringList known;
                for (const auto &h : handlers)
                    known << QString::fromStdString(h.first);
                fail(kv.first, QStringLiteral("unknown key '%1' in '%2' (known: %3)")
                                   .arg(QString::fromStdString(key), section, known.join(QStringLiteral(", "))));
            }
            // Handlers see the dotted key ("train.optimizer.config.lr") for their messages.
            const QString name = QString::fromStdString(key);
            it->second(kv.second, section == QLatin1String("top level") ? name : section + QLatin1Char('.') + name);
        }
    }

    void parse(const YAML::Node &root)
    {
        if (root.IsNull())
            return;
        if (!root.IsMap())
            fail(root, QStringLiteral("the top level must be a mapping with the sections model, data, train, active_learner"));
        AlConfig &c = *m_config;
        auto ignored = [this](const YAML::Node &n, const QString &key) {
            warn(n, QStringLiteral("'%1' is accepted but not used by Labelscope").arg(key));
        };
        mapping(root, QStringLiteral("top level"), {
            {"model", [&](const YAML::Node &n, const QString &) {
                mapping(n, QStringLiteral("model"), {
                    {"model", [&](const YAML::Node &v, const QString &k) {
                        const QString m = string(v, k);
                        if (m.isEmpty() || m == QLatin1String("auto")) {
                            c.model = QStringLiteral("auto");
                        } else if (m == QLatin1String("small_cnn") || m == QLatin1String("medium_cnn") || m == QLatin1String("small_resnet")) {
                            c.model = m;
                        } else if (m.compare(QLatin1String("Rnet"), Qt::CaseInsensitive) == 0
                                   || m.compare(QLatin1String("ResNet18"), Qt::CaseInsensitive) == 0) {
                            c.model = QStringLiteral("small_resnet");
                            warn(v, QStringLiteral("model '%1' runs as Labelscope's small_resnet").arg(m));
                        } else {
                            fail(v, QStringLiteral("unknown model '%1' (use one of: auto, small_cnn, medium_cnn, small_resnet, Rnet, ResNet18)").arg(m));
                        }
                    }},
                    {"model_path", [&](const YAML::Node &v, const QString &k) {
                        c.modelPath = string(v, k);
                        if (!c.modelPath.isEmpty())
                            warn(v, QStringLiteral("model_path '%1' is not loaded: Labelscope trains from scratch").arg(c.modelPath));
                    }},
                    {"device", [&](const YAML::Node &v, const QString &k) {
                        c.device = oneOf(v, k, {QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda")});
                    }},
                    {"num_classes", [&](const YAML::Node &v, const QString &k) {
                        c.numClasses = integer(v, k, 0, kMaxClasses);
                        if (c.numClasses == 1)
                            fail(v, QStringLiteral("'%1' must be 0 (from the data) or at least 2").arg(k));
                    }},
                    {"backbone", [&](const YAML::Node &v, const QString &k) { c.backbone = string(v, k); }},
                    {"head", [&](const YAML::Node &v, const QString &k) {
                        c.head = oneOf(v, k, enumNames(kEmbeddingHeadNames));
                    }},
                    {"fine_tune", [&](const YAML::Node &v, const QString &k) { c.fineTune = boolean(v, k); }},
                    {"ssl", [&](const YAML::Node &v, const QString &k) {
                        // Self-supervised encoders need pretrained weights: accepted, not used.
                        ignored(v, k);
                    }},
                });
            }},
            {"data", [&](const YAML::Node &n, const QString &) {
                mapping(n, QStringLiteral("data"), {
                    {"dataset", [&](const YAML::Node &v, const QString &k) {
                        c.dataset = oneOf(v, k, {QStringLiteral("csv"), QStringLiteral("tfds"), QStringLiteral("idx"),
                                                 QStringLiteral("folder"), QStringLiteral("spec")});
                        if (c.dataset == QLatin1String("tfds"))
                            fail(v, QStringLiteral("dataset 'tfds' needs TensorFlow Datasets; give a csv, idx, folder or spec"));
                    }},
                    {"path", [&](const YAML::Node &v, const QString &k) { c.path = string(v, k); }},
                    {"classes", [&](const YAML::Node &v, const QString &k) {
                        if (!v.IsSequence())
                            fail(v, QStringLiteral("'classes' must be a list"));
                        for (const auto &item : v)
                            c.classes << string(item, k);
                    }},
                });
            }},
            {"train", [&](const YAML::Node &n, const QString &) {
                mapping(n, QStringLiteral("train"), {
                    {"optimizer", [&](const YAML::Node &v, const QString &) {
                        mapping(v, QStringLiteral("train.optimizer"), {
                            {"name", [&](const YAML::Node &w, const QString &k) {
                                c.optimizer = oneOf(w, k, {QStringLiteral("SGD"), QStringLiteral("Adam")});
                            }},
                            {"config", [&](const YAML::Node &w, const QString &) {
                                mapping(w, QStringLiteral("train.optimizer.config"), {
                                    {"lr", [&](const YAML::Node &x, const QString &k) {
                                        c.lr = real(x, k, {0, 10, true, false});
                                        m_lrSet = true;
                                    }},
                                    {"momentum", [&](const YAML::Node &x, const QString &k) { c.momentum = real(x, k, {0, 1, false, true}); }},
                                    {"weight_decay", [&](const YAML::Node &x, const QString &k) { c.weightDecay = real(x, k, {0, 1}); }},
                                    {"nesterov", [&](const YAML::Node &x, const QString &k) { c.nesterov = boolean(x, k); }},
                                });
                            }},
                        });
                    }},
                    {"loss_fn", [&](const YAML::Node &v, const QString &) {
                        mapping(v, QStringLiteral("train.loss_fn"), {
                            {"name", [&](const YAML::Node &w, const QString &k) {
                                c.lossFn = oneOf(w, k, {QStringLiteral("CrossEntropyLoss"), QStringLiteral("NLLLoss"), QStringLiteral("BCELoss")});
                                if (c.lossFn != QLatin1String("CrossEntropyLoss"))
                                    warn(w, QStringLiteral("loss_fn %1 runs as softmax cross-entropy (single-label classes)").arg(c.lossFn));
                            }},
                        });
                    }},
                    {"batch_size", [&](const YAML::Node &v, const QString &k) { c.batchSize = integer(v, k, 1, 65536); }},
                    {"epochs", [&](const YAML::Node &v, const QString &k) { c.epochs = integer(v, k, 1, 100000); }},
                    {"min_steps", [&](const YAML::Node &v, const QString &k) { c.minSteps = integer(v, k, 0, 100000000); }},
                    {"augment", [&](const YAML::Node &v, const QString &k) { c.augment = boolean(v, k); }},
                    {"hflip", [&](const YAML::Node &v, const QString &k) { c.hflip = boolean(v, k); }},
                    {"warm_start", [&](const YAML::Node &v, const QString &k) { c.warmStart = boolean(v, k); }},
                    {"pseudo_label_threshold", [&](const YAML::Node &v, const QString &k) { c.pseudoLabelThreshold = real(v, k, {0, 1}); }},
                    {"pseudo_label_max", [&](const YAML::Node &v, const QString &k) { c.pseudoLabelMax = integer(v, k, 0, kMaxInt); }},
                    {"pseudo_label_scope", [&](const YAML::Node &v, const QString &k) {
                        c.pseudoLabelScope = oneOf(v, k, {QStringLiteral("scored"), QStringLiteral("pool")});
                    }},
                    {"strong_augment", [&](const YAML::Node &v, const QString &k) { c.strongAugment = boolean(v, k); }},
                    {"consistency_weight", [&](const YAML::Node &v, const QString &k) { c.consistencyWeight = real(v, k, {0, 100}); }},
                    {"unlabelled_ratio", [&](const YAML::Node &v, const QString &k) { c.unlabelledRatio = integer(v, k, 1, 64); }},
                    {"consistency_threshold", [&](const YAML::Node &v, const QString &k) { c.consistencyThreshold = real(v, k, {0, 1}); }},
                    {"ema_decay", [&](const YAML::Node &v, const QString &k) { c.emaDecay = real(v, k, {0, 1, false, true}); }},
                    {"fine_tune_lr_scale", [&](const YAML::Node &v, const QString &k) { c.fineTuneLrScale = real(v, k, {0, 1}); }},
                    {"tta", [&](const YAML::Node &v, const QString &k) { c.tta = boolean(v, k); }},
                    {"mc_samples", [&](const YAML::Node &v, const QString &k) { c.mcSamples = integer(v, k, 1, 1000); }},
                });
            }},
            {"active_learner", [&](const YAML::Node &n, const QString &) {
                mapping(n, QStringLiteral("active_learner"), {
                    {"iterations", [&](const YAML::Node &v, const QString &k) { c.iterations = integer(v, k, 1, 100000); }},
                    {"strategy", [&](const YAML::Node &v, const QString &k) {
                        // Active-Labeler's own configs also say "uncertainty_sampling": least confidence.
                        if (v.IsScalar() && v.Scalar() == "uncertainty_sampling")
                            c.strategy = QStringLiteral("least_confidence");
                        else
                            c.strategy = oneOf(v, k, uncertaintyNames());
                    }},
                    {"num_labelled", [&](const YAML::Node &v, const QString &k) { c.numLabelled = integer(v, k, 1, kMaxInt); }},
                    {"diversity_sampling", [&](const YAML::Node &v, const QString &k) { c.diversity = oneOf(v, k, diversityNames()); }},
                    {"limit", [&](const YAML::Node &v, const QString &k) {
                        c.limit = number<qint64>(v, k, "an integer");
                        if (c.limit == 0 || c.limit < -1)
                            fail(v, QStringLiteral("'%1' must be -1 (the whole pool) or a positive size, got %2").arg(k).arg(c.limit));
                    }},
                    {"preindex", [&](const YAML::Node &v, const QString &k) { c.preindex = boolean(v, k); }},
                    {"test_dataset", [&](const YAML::Node &v, const QString &k) {
                        c.testDataset = string(v, k);
                        if (!c.testDataset.isEmpty())
                            warn(v, QStringLiteral("test_dataset is not read: Labelscope evaluates on the data's test split"));
                    }},
                    {"initial_labelled", [&](const YAML::Node &v, const QString &k) { c.initialLabelled = integer(v, k, 0, kMaxInt); }},
                    {"cold_start", [&](const YAML::Node &v, const QString &k) {
                        c.coldStart = oneOf(v, k, {QStringLiteral("stratified_random"), QStringLiteral("random_sampling"), QStringLiteral("kmeans")});
                    }},
                    {"clusters", [&](const YAML::Node &v, const QString &k) { c.clusters = integer(v, k, 1, 100000); }},
                    {"budget", [&](const YAML::Node &v, const QString &k) { c.budget = integer(v, k, 0, kMaxInt); }},
                    {"target_accuracy", [&](const YAML::Node &v, const QString &k) { c.targetAccuracy = real(v, k, {0, 1}); }},
                    {"plateau_rounds", [&](const YAML::Node &v, const QString &k) { c.plateauRounds = integer(v, k, 0, 100000); }},
                    {"plateau_delta", [&](const YAML::Node &v, const QString &k) { c.plateauDelta = real(v, k, {0, 1}); }},
                    {"seed", [&](const YAML::Node &v, const QString &k) { c.seed = number<quint64>(v, k, "a non-negative integer"); }},
                });
            }},
        });
        if (c.optimizer == QLatin1String("Adam") && !m_lrSet)
            c.lr = 1e-3; // the SGD default is far too large for Adam
    }

    // Checks that involve more than one key (each value's own range is checked where it is
    // read, with its line and column).
    QString check() const
    {
        const AlConfig &c = *m_config;
        if (enumFromName(kUncertaintyNames, c.strategy) == Uncertainty::Bald && c.mcSamples < 2)
            return QStringLiteral("train.mc_samples must be at least 2 for bald, got %1").arg(c.mcSamples);
        if (c.fineTune && c.backbone.isEmpty())
            return QStringLiteral("model.fine_tune needs model.backbone (a network made by labelscope pretrain or export-model)");
        return QString();
    }

private:
    QString m_source;
    AlConfig *m_config;
    bool m_lrSet = false;
};

} // namespace

QJsonObject AlConfig::toJson() const
{
    QJsonObject model{{QStringLiteral("model"), this->model}, {QStringLiteral("device"), device},
                      {QStringLiteral("num_classes"), numClasses}, {QStringLiteral("backbone"), backbone},
                      {QStringLiteral("head"), head}, {QStringLiteral("fine_tune"), fineTune}};
    QJsonObject train{{QStringLiteral("optimizer"), optimizer}, {QStringLiteral("lr"), lr},
                      {QStringLiteral("momentum"), momentum}, {QStringLiteral("weight_decay"), weightDecay},
                      {QStringLiteral("batch_size"), batchSize}, {QStringLiteral("epochs"), epochs},
                      {QStringLiteral("min_steps"), minSteps}, {QStringLiteral("augment"), augment},
                      {QStringLiteral("hflip"), hflip}, {QStringLiteral("warm_start"), warmStart},
                      {QStringLiteral("pseudo_label_threshold"), pseudoLabelThreshold},
                      {QStringLiteral("pseudo_label_max"), pseudoLabelMax},
                      {QStringLiteral("pseudo_label_scope"), pseudoLabelScope},
                      {QStringLiteral("strong_augment"), strongAugment}, {QStringLiteral("ema_decay"), emaDecay},
                      {QStringLiteral("consistency_weight"), consistencyWeight},
                      {QStringLiteral("unlabelled_ratio"), unlabelledRatio},
                      {QStringLiteral("consistency_threshold"), consistencyThreshold},
                      {QStringLiteral("fine_tune_lr_scale"), fineTuneLrScale},
                      {QStringLiteral("tta"), tta}, {QStringLiteral("mc_samples"), mcSamples}};
    QJsonObject al{{QStringLiteral("iterations"), iterations}, {QStringLiteral("strategy"), strategy},
                   {QStringLiteral("num_labelled"), numLabelled}, {QStringLiteral("diversity_sampling"), diversity},
                   {QStringLiteral("limit"), double(limit)}, {QStringLiteral("preindex"), preindex},
                   {QStringLiteral("initial_labelled"), initialLabelled}, {QStringLiteral("cold_start"), coldStart},
                   {QStringLiteral("clusters"), clusters}, {QStringLiteral("budget"), budget},
                   {QStringLiteral("target_accuracy"), targetAccuracy}, {QStringLiteral("plateau_rounds"), plateauRounds},
                   {QStringLiteral("plateau_delta"), plateauDelta}, {QStringLiteral("seed"), double(seed)}};
    return {{QStringLiteral("model"), model}, {QStringLiteral("data"), QJsonObject{{QStringLiteral("path"), path}}},
            {QStringLiteral("train"), train}, {QStringLiteral("active_learner"), al}};
}

bool parseAlConfig(const QByteArray &yaml, const QString &source, AlConfig *out, QString *error)
{
    AlConfig config;
    Parser parser(source, &config);
    try {
        const YAML::Node root = YAML::Load(yaml.toStdString());
        parser.parse(root);
    } catch (const ParseError &e) {
        *error = e.message;
        return false;
    } catch (const YAML::Exception &e) {
        *error = e.mark.line >= 0
            ? QStringLiteral("%1:%2: %3").arg(source).arg(e.mark.line + 1).arg(QString::fromStdString(e.msg))
            : QStringLiteral("%1: %2").arg(source, QString::fromStdString(e.msg));
        return false;
    }
    const QString problem = parser.check();
    if (!problem.isEmpty()) {
        *error = QStringLiteral("%1: %2").arg(source, problem);
        return false;
    }
    *out = std::move(config);
    return true;
}

bool loadAlConfig(const QString &file, AlConfig *out, QString *error)
{
    if (const Result<> regular = checkRegularFile(file); !regular) {
        *error = regular.error();
        return false;
    }
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read: %2").arg(file, f.errorString());
        return false;
    }
    if (!parseAlConfig(f.readAll(), file, out, error))
        return false;
    // model.backbone is relative to the config file, as a user reads it beside the file.
    if (!out->backbone.isEmpty() && QFileInfo(out->backbone).isRelative())
        out->backbone = QFileInfo(file).dir().filePath(out->backbone);
    return true;
}

} // namespace labelscope
