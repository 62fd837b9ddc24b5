// The clean-eval report (labelscope clean-eval --out JSON, or the project meta "clean_eval"):
// parsing and checking it, with errors that name the place, and the names of its variants.

#include "reportpage.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace labelscope::ui {

namespace {
/// Line and column of byte OFFSET in JSON (1-based), for syntax error messages.
QString placeOf(const QByteArray &json, int offset)
{
    int line = 1, col = 1;
    for (int i = 0; i < offset && i < json.size(); ++i) {
        if (json.at(i) == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return QStringLiteral("line %1, column %2").arg(line).arg(col);
}

bool readNumber(const QJsonObject &o, const char *key, const QString &path, bool required, double *out,
                QString *error)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() && !required)
        return true;
    if (!v.isDouble() || !std::isfinite(v.toDouble())) {
        *error = v.isUndefined() ? QStringLiteral("%1.%2 is missing").arg(path, QLatin1String(key))
                                 : QStringLiteral("%1.%2 is not a number").arg(path, QLatin1String(key));
        return false;
    }
    *out = v.toDouble();
    return true;
}

} // namespace

double CleanEvalVariant::low() const
{
    return runs.empty() ? mean - std : *std::min_element(runs.begin(), runs.end());
}

double CleanEvalVariant::high() const
{
    return runs.empty() ? mean + std : *std::max_element(runs.begin(), runs.end());
}

QStringList CleanEvalReport::standardVariants()
{
    return {QStringLiteral("noisy"), QStringLiteral("removed"), QStringLiteral("relabelled"),
            QStringLiteral("easy_only"), QStringLiteral("true_labels")};
}

QString CleanEvalReport::skippedNote() const
{
    QStringList parts;
    for (const CleanEvalRate &r : rates)
        for (const auto &[name, why] : r.skipped)
            parts << QObject::tr("%1 at %2 %: %3").arg(variantTitle(name)).arg(r.rate * 100.0, 0, 'g', 3).arg(why);
    return parts.isEmpty() ? QString() : QObject::tr("Not trained: %1.").arg(parts.join(QStringLiteral("; ")));
}

QString CleanEvalReport::variantTitle(const QString &name)
{
    if (name == QLatin1String("noisy"))
        return QObject::tr("Noisy labels");
    if (name == QLatin1String("removed"))
        return QObject::tr("Removed");
    if (name == QLatin1String("relabelled"))
        return QObject::tr("Relabelled");
    if (name == QLatin1String("easy_only"))
        return QObject::tr("Easy only");
    if (name == QLatin1String("true_labels"))
        return QObject::tr("True labels");
    return name;
}

QString CleanEvalReport::variantDescription(const QString &name)
{
    if (name == QLatin1String("noisy"))
        return QObject::tr("Trained on the noisy labels");
    if (name == QLatin1String("removed"))
        return QObject::tr("Trained without the flagged samples");
    if (name == QLatin1String("relabelled"))
        return QObject::tr("Trained with the flagged samples relabelled to the suggested label");
    if (name == QLatin1String("easy_only"))
        return QObject::tr("Trained on the samples categorised easy only");
    if (name == QLatin1String("true_labels"))
        return QObject::tr("Trained on the true labels (the ceiling)");
    return name;
}

QStringList CleanEvalReport::variantNames() const
{
    QStringList present;
    for (const CleanEvalRate &r : rates)
        for (const auto &v : r.variants)
            if (!present.contains(v.first))
                present << v.first;
    QStringList out;
    for (const QString &s : standardVariants())
        if (present.contains(s))
            out << s;
    QStringList others;
    for (const QString &s : present)
        if (!out.contains(s))
            others << s;
    others.sort();
    return out + others;
}

bool CleanEvalReport::parse(const QByteArray &json, const QString &source, CleanEvalReport *out, QString *error)
{
    auto fail = [&](const QString &msg) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(source, msg);
        return false;
    };
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError)
        return fail(QStringLiteral("not valid JSON at %1: %2").arg(placeOf(json, pe.offset), pe.errorString()));
    if (!doc.isObject())
        return fail(QStringLiteral("the document is not a JSON object"));
    const QJsonObject root = doc.object();
    CleanEvalReport r;
    r.data = root.value(QStringLiteral("data")).toString();
    r.noiseKind = root.value(QStringLiteral("noise_kind")).toString();
    r.seeds = root.value(QStringLiteral("seeds")).toInt(0);
    r.method = root.value(QStringLiteral("method")).toString();
    r.limit = root.value(QStringLiteral("limit")).toInteger(-1);
    const QJsonValue rates = root.value(QStringLiteral("rates"));
    if (!rates.isArray())
        return fail(rates.isUndefined() ? QStringLiteral("\"rates\" is missing")
                                        : QStringLiteral("\"rates\" is not an array"));
    const QJsonArray arr = rates.toArray();
    if (arr.isEmpty())
        return fail(QStringLiteral("\"rates\" is empty"));
    QString msg;
    for (int i = 0; i < arr.size(); ++i) {
        const QString path = QStringLiteral("rates[%1]").arg(i);
        if (!arr.at(i).isObject())
            return fail(QStringLiteral("%1 is not an object").arg(path));
        const QJsonObject ro = arr.at(i).toObject();
        CleanEvalRate rate;
        if (!readNumber(ro, "rate", path, true, &rate.rate, &msg))
            return fail(msg);
        if (rate.rate < 0.0 || rate.rate > 1.0)
            return fail(QStringLiteral("%1.rate %2 is outside [0, 1]").arg(path).arg(rate.rate));
        double flagged = -1.0;
        if (!readNumber(ro, "flagged", path, false, &flagged, &msg))
            return fail(msg);
        rate.flagged = qint64(std::llround(flagged));
        if (!readNumber(ro, "flag_precision", path, false, &rate.flagPrecision, &msg))
            return fail(msg);
        const QJsonValue vars = ro.value(QStringLiteral("variants"));
        if (!vars.isObject())
            return fail(QStringLiteral("%1.variants is %2").arg(path, vars.isUndefined() ? QStringLiteral("missing")
                                                                                          : QStringLiteral("not an object")));
        const QJsonObject vo = vars.toObject();
        for (auto it = vo.constBegin(); it != vo.constEnd(); ++it) {
            const QString vpath = QStringLiteral("%1.variants.%2").arg(path, it.key());
            if (!it.value().isObject())
                return fail(QStringLiteral("%1 is not an object").arg(vpath));
            const QJsonObject o = it.value().toObject();
            // A variant clean-eval could not train ({"skipped": reason}, e.g. easy_only after a
            // very short analysis) has no accuracy; it is listed, not drawn.
            if (o.contains(QStringLiteral("skipped")) && !o.contains(QStringLiteral("mean"))) {
                const QString why = o.value(QStringLiteral("skipped")).toString();
                rate.skipped[it.key()] = why.isEmpty() ? QStringLiteral("skipped") : why;
                continue;
            }
            CleanEvalVariant v;
            if (!readNumber(o, "mean", vpath, true, &v.mean, &msg) || !readNumber(o, "std", vpath, false, &v.std, &msg))
                return fail(msg);
            if (v.mean < 0.0 || v.mean > 1.0)
                return fail(QStringLiteral("%1.mean %2 is not an accuracy in [0, 1]").arg(vpath).arg(v.mean));
            const QJsonValue runs = o.value(QStringLiteral("runs"));
            if (!runs.isUndefined() && !runs.isArray())
                return fail(QStringLiteral("%1.runs is not an array").arg(vpath));
            const QJsonArray ra = runs.toArray();
            for (int j = 0; j < ra.size(); ++j) {
                // A run is an accuracy, or an object with one (as a future version may write).
                const QJsonValue rv = ra.at(j).isObject() ? ra.at(j).toObject().value(QStringLiteral("accuracy")) : ra.at(j);
                if (!rv.isDouble() || !std::isfinite(rv.toDouble()))
                    return fail(QStringLiteral("%1.runs[%2] is not a number").arg(vpath).arg(j));
                v.runs.push_back(rv.toDouble());
            }
            rate.variants[it.key()] = v;
        }
        if (rate.variants.empty() && rate.skipped.empty())
            return fail(QStringLiteral("%1.variants is empty").arg(path));
        r.rates.push_back(std::move(rate));
    }
    std::stable_sort(r.rates.begin(), r.rates.end(),
                     [](const CleanEvalRate &a, const CleanEvalRate &b) { return a.rate < b.rate; });
    *out = std::move(r);
    return true;
}

} // namespace labelscope::ui
