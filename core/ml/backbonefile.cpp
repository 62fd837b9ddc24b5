// The backbone sidecar (backbonefile.h): reading, checking and writing FILE.json, the file hash
// and the cache key.
#include "backbonefile.h"

#include "base/savefile.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>

namespace labelscope {

namespace {

const char *resizeName(BackboneResize r)
{
    return r == BackboneResize::ResizeCenterCrop ? "resize_center_crop" : "stretch";
}

int defaultResizeSize(int inputSize)
{
    return int(std::lround(inputSize * 256.0 / 224.0));
}

} // namespace

QJsonObject BackboneSidecar::toJson() const
{
    QJsonArray m, s;
    for (double v : mean)
        m.append(v);
    for (double v : std)
        s.append(v);
    QJsonObject o{{QStringLiteral("name"), name},
                  {QStringLiteral("input_size"), inputSize},
                  {QStringLiteral("channels"), channels},
                  {QStringLiteral("mean"), m},
                  {QStringLiteral("std"), s},
                  {QStringLiteral("embedding_dim"), embeddingDim},
                  {QStringLiteral("resize"), QString::fromLatin1(resizeName(resize))}};
    if (resize == BackboneResize::ResizeCenterCrop)
        o.insert(QStringLiteral("resize_size"), resizeSize);
    if (ttaHflip)
        o.insert(QStringLiteral("tta"), QStringLiteral("hflip"));
    if (!classes.isEmpty())
        o.insert(QStringLiteral("classes"), QJsonArray::fromStringList(classes));
    if (!provenance.isEmpty())
        o.insert(QStringLiteral("provenance"), provenance);
    return o;
}

QString backboneSidecarPath(const QString &backboneFile)
{
    const QFileInfo fi(backboneFile);
    if (fi.suffix().compare(QLatin1String("pt"), Qt::CaseInsensitive) == 0)
        return fi.path() + QLatin1Char('/') + fi.completeBaseName() + QStringLiteral(".json");
    return backboneFile + QStringLiteral(".json");
}

Result<> checkBackboneSidecar(const BackboneSidecar &s, const QString &where)
{
    auto bad = [&](const QString &what) { return Result<>::failure(QStringLiteral("%1: %2").arg(where, what)); };
    if (s.name.trimmed().isEmpty())
        return bad(QStringLiteral("\"name\" is empty"));
    if (s.inputSize < 8 || s.inputSize > 1024)
        return bad(QStringLiteral("\"input_size\" must be between 8 and 1024 (got %1)").arg(s.inputSize));
    if (s.channels != 1 && s.channels != 3)
        return bad(QStringLiteral("\"channels\" must be 1 or 3 (got %1)").arg(s.channels));
    if (int(s.mean.size()) != s.channels)
        return bad(QStringLiteral("\"mean\" has %1 value(s), \"channels\" is %2").arg(s.mean.size()).arg(s.channels));
    if (int(s.std.size()) != s.channels)
        return bad(QStringLiteral("\"std\" has %1 value(s), \"channels\" is %2").arg(s.std.size()).arg(s.channels));
    for (double v : s.mean)
        if (!std::isfinite(v) || v < -10 || v > 10)
            return bad(QStringLiteral("\"mean\" holds %1, not a pixel mean in [0, 1] units").arg(v));
    for (double v : s.std)
        if (!std::isfinite(v) || v <= 0 || v > 100)
            return bad(QStringLiteral("\"std\" holds %1; each must be > 0 (pixel units in [0, 1])").arg(v));
    if (s.embeddingDim < 1 || s.embeddingDim > 65536)
        return bad(QStringLiteral("\"embedding_dim\" must be between 1 and 65536 (got %1)").arg(s.embeddingDim));
    if (s.resize == BackboneResize::ResizeCenterCrop && (s.resizeSize < s.inputSize || s.resizeSize > 4096))
        return bad(QStringLiteral("\"resize_size\" must be between input_size (%1) and 4096 (got %2)").arg(s.inputSize).arg(s.resizeSize));
    return {};
}

Result<BackboneSidecar> readBackboneSidecar(const QString &backboneFile)
{
    using R = Result<BackboneSidecar>;
    const QString path = backboneSidecarPath(backboneFile);
    QFile file(path);
    if (!QFileInfo(path).isFile())
        return R::failure(QStringLiteral("%1: the backbone's sidecar is missing (every backbone FILE.pt needs FILE.json "
                                         "beside it: name, input_size, channels, mean, std, embedding_dim)").arg(path));
    if (QFileInfo(path).size() > 16 * 1024 * 1024)
        return R::failure(QStringLiteral("%1: too large for a sidecar (over 16 MiB)").arg(path));
    if (!file.open(QIODevice::ReadOnly))
        return R::failure(QStringLiteral("%1: cannot read: %2").arg(path, file.errorString()));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return R::failure(QStringLiteral("%1: not valid JSON at byte %2: %3").arg(path).arg(parseError.offset).arg(parseError.errorString()));
    if (!doc.isObject())
        return R::failure(QStringLiteral("%1: expected a JSON object").arg(path));
    const QJsonObject o = doc.object();
    auto missing = [&](const char *key) {
        return R::failure(QStringLiteral("%1: missing \"%2\"").arg(path, QLatin1String(key)));
    };
    auto wrongType = [&](const char *key, const char *type) {
        return R::failure(QStringLiteral("%1: \"%2\" must be %3").arg(path, QLatin1String(key), QLatin1String(type)));
    };
    BackboneSidecar s;
    for (const char *key : {"name", "input_size", "channels", "mean", "std", "embedding_dim"})
        if (!o.contains(QLatin1String(key)))
            return missing(key);
    if (!o.value(QLatin1String("name")).isString())
        return wrongType("name", "a string");
    s.name = o.value(QLatin1String("name")).toString();
    auto integer = [&](const char *key, int *out) {
        const QJsonValue v = o.value(QLatin1String(key));
        if (!v.isDouble() || v.toDouble() != std::floor(v.toDouble()) || std::abs(v.toDouble()) > 1e9)
            return false;
        *out = int(v.toDouble());
        return true;
    };
    if (!integer("input_size", &s.inputSize))
        return wrongType("input_size", "an integer");
    if (!integer("channels", &s.channels))
        return wrongType("channels", "an integer");
    if (!integer("embedding_dim", &s.embeddingDim))
        return wrongType("embedding_dim", "an integer");
    auto numbers = [&](const char *key, std::vector<double> *out) {
        const QJsonValue v = o.value(QLatin1String(key));
        if (!v.isArray())
            return false;
        for (const QJsonValue &e : v.toArray()) {
            if (!e.isDouble())
                return false;
            out->push_back(e.toDouble());
        }
        return true;
    };
    if (!numbers("mean", &s.mean))
        return wrongType("mean", "an array of numbers");
    if (!numbers("std", &s.std))
        return wrongType("std", "an array of numbers");
    const QString resize = o.value(QLatin1String("resize")).toString(QStringLiteral("stretch"));
    if (resize == QLatin1String("stretch"))
        s.resize = BackboneResize::Stretch;
    else if (resize == QLatin1String("resize_center_crop"))
        s.resize = BackboneResize::ResizeCenterCrop;
    else
        return R::failure(QStringLiteral("%1: \"resize\" must be \"stretch\" or \"resize_center_crop\" (got \"%2\")").arg(path, resize));
    if (o.contains(QLatin1String("resize_size"))) {
        if (!integer("resize_size", &s.resizeSize))
            return wrongType("resize_size", "an integer");
    } else {
        s.resizeSize = defaultResizeSize(s.inputSize);
    }
    const QJsonValue tta = o.value(QLatin1String("tta"));
    if (!tta.isUndefined() && !tta.isString())
        return wrongType("tta", "a string");
    if (tta.toString() == QLatin1String("hflip"))
        s.ttaHflip = true;
    else if (!tta.isUndefined() && tta.toString() != QLatin1String("none"))
        return R::failure(QStringLiteral("%1: \"tta\" must be \"none\" or \"hflip\" (got \"%2\")").arg(path, tta.toString()));
    if (o.contains(QLatin1String("classes"))) {
        const QJsonValue v = o.value(QLatin1String("classes"));
        if (!v.isArray())
            return wrongType("classes", "an array of strings");
        for (const QJsonValue &e : v.toArray()) {
            if (!e.isString())
                return wrongType("classes", "an array of strings");
            s.classes << e.toString();
        }
    }
    s.provenance = o.value(QLatin1String("provenance")).toObject();
    if (Result<> checked = checkBackboneSidecar(s, path); !checked)
        return R::from(checked);
    return s;
}

Result<> writeBackboneSidecar(const QString &backboneFile, const BackboneSidecar &sidecar)
{
    const QString path = backboneSidecarPath(backboneFile);
    if (Result<> checked = checkBackboneSidecar(sidecar, path); !checked)
        return checked;
    return writeFileAtomically(path, QJsonDocument(sidecar.toJson()).toJson(QJsonDocument::Indented));
}

Result<> checkBackboneOutFile(const QString &outFile)
{
    if (outFile.isEmpty())
        return Result<>::failure(QStringLiteral("give the output file (--out FILE.pt)"));
    const QFileInfo info(outFile);
    if (info.isDir())
        return Result<>::failure(QStringLiteral("%1: is a folder").arg(outFile));
    if (!QFileInfo(info.absolutePath()).isDir())
        return Result<>::failure(QStringLiteral("%1: the folder %2 does not exist").arg(outFile, info.absolutePath()));
    return {};
}

Result<QString> fileSha256(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Result<QString>::failure(QStringLiteral("%1: cannot read: %2").arg(path, file.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file))
        return Result<QString>::failure(QStringLiteral("%1: cannot read: %2").arg(path, file.errorString()));
    return QString::fromLatin1(hash.result().toHex());
}

QString backboneCacheKey(const QString &sha256, const BackboneSidecar &s)
{
    QStringList parts{QStringLiteral("sha256=") + sha256, QStringLiteral("size=%1").arg(s.inputSize),
                      QStringLiteral("channels=%1").arg(s.channels),
                      QStringLiteral("resize=%1").arg(QLatin1String(resizeName(s.resize)))};
    if (s.resize == BackboneResize::ResizeCenterCrop)
        parts << QStringLiteral("resize_size=%1").arg(s.resizeSize);
    QStringList m, d;
    for (double v : s.mean)
        m << QString::number(v, 'g', 17);
    for (double v : s.std)
        d << QString::number(v, 'g', 17);
    parts << QStringLiteral("mean=") + m.join(QLatin1Char(',')) << QStringLiteral("std=") + d.join(QLatin1Char(','))
          << QStringLiteral("dim=%1").arg(s.embeddingDim);
    if (s.ttaHflip) // absent when off, so the keys of caches made before the field stay valid
        parts << QStringLiteral("tta=hflip");
    return parts.join(QLatin1Char(';'));
}

} // namespace labelscope
