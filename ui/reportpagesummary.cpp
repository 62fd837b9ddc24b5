// ReportPage: the run summary at the top of the page (issue 15): the open project's analysis run
// (its method, when, how long, on what, its categories) and, for a run on backbone embeddings,
// which backbone and how its embeddings were obtained:
//   Backbone: fashion-cnn (/data/fashion.pt), 128-d; embeddings: extracted 60,000 in 41.2 s (1,456 images/s)
//   Backbone: fashion-cnn (/data/fashion.pt), 128-d; embeddings: reused from run 3
// Read from the run's stored summary ("backbone": AnalysisResult::toJson) with its settings
// ("backbone_name", "backbone_file", "backbone_sidecar") for what older summaries lack; a run
// without a backbone has no backbone line.

#include "reportpage.h"

#include "base/verdict.h"

#include "reviewsession.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace labelscope::ui {

namespace {
QString seconds(double s)
{
    return s < 100 ? QLocale().toString(s, 'f', s < 10 ? 2 : 1) : QLocale().toString(qint64(std::llround(s)));
}
} // namespace

QString backboneSummaryLine(const RunInfo &run)
{
    const QJsonObject b = run.summary.value(QStringLiteral("backbone")).toObject();
    const QJsonObject &settings = run.settings;
    QString name = b.value(QStringLiteral("name")).toString();
    QString file = b.value(QStringLiteral("file")).toString();
    if (name.isEmpty())
        name = settings.value(QStringLiteral("backbone_name")).toString();
    if (file.isEmpty())
        file = settings.value(QStringLiteral("backbone_file")).toString();
    if (name.isEmpty() && file.isEmpty())
        return QString();
    qint64 dim = b.value(QStringLiteral("embedding_dim")).toInteger();
    if (dim <= 0)
        dim = settings.value(QStringLiteral("backbone_sidecar")).toObject().value(QStringLiteral("embedding_dim")).toInteger();
    QString line = QObject::tr("Backbone: %1 (%2)").arg(name.isEmpty() ? QObject::tr("unnamed") : name,
                                                        QDir::toNativeSeparators(file));
    if (dim > 0)
        line += QObject::tr(", %1-d").arg(dim);
    if (!b.contains(QStringLiteral("embeddings_extracted")))
        return line; // no extraction figures stored
    const qint64 extracted = b.value(QStringLiteral("embeddings_extracted")).toInteger();
    const qint64 reused = b.value(QStringLiteral("embeddings_reused")).toInteger();
    qint64 fromRun = b.value(QStringLiteral("reused_from_run")).toInteger();
    if (fromRun <= 0 && reused > 0)
        fromRun = settings.value(QStringLiteral("embeddings_cached_from_run")).toInteger();
    const QString reusedText = fromRun > 0 ? QObject::tr("reused from run %1").arg(fromRun)
                                           : QObject::tr("reused from the project's cache");
    QStringList parts;
    if (extracted > 0)
        parts << QObject::tr("extracted %L1 in %2 s (%L3 images/s)")
                     .arg(extracted)
                     .arg(seconds(b.value(QStringLiteral("extraction_seconds")).toDouble()))
                     .arg(qint64(std::llround(b.value(QStringLiteral("images_per_second")).toDouble())));
    if (reused > 0)
        parts << (extracted > 0 ? QObject::tr("%L1 %2").arg(reused).arg(reusedText) : reusedText);
    if (parts.isEmpty())
        parts << QObject::tr("none");
    return line + QObject::tr("; embeddings: %1").arg(parts.join(QStringLiteral(", ")));
}

QString runSummaryLine(const RunInfo &run)
{
    const QJsonObject &s = run.summary;
    QString method = s.value(QStringLiteral("method")).toString();
    if (method.isEmpty())
        method = run.settings.value(QStringLiteral("method")).toString();
    QStringList what;
    if (!method.isEmpty())
        what << method;
    const QString model = s.value(QStringLiteral("model")).toString();
    if (!model.isEmpty() && method != QLatin1String("embedding"))
        what << model;
    if (run.finished.isValid())
        what << QLocale().toString(run.finished.toLocalTime(), QLocale::ShortFormat);
    QString line = what.isEmpty() ? QObject::tr("Analysis run %1").arg(run.id)
                                  : QObject::tr("Analysis run %1 (%2)").arg(run.id).arg(what.join(QStringLiteral(", ")));
    if (run.status != QLatin1String("done"))
        return line + QObject::tr(": %1").arg(run.status);
    QStringList facts;
    if (const qint64 n = s.value(QStringLiteral("samples")).toInteger(); n > 0)
        facts << QObject::tr("%L1 samples").arg(n);
    if (s.contains(QStringLiteral("seconds"))) {
        const QString device = s.value(QStringLiteral("device")).toString();
        facts << (device.isEmpty() ? QObject::tr("%1 s").arg(seconds(s.value(QStringLiteral("seconds")).toDouble()))
                                   : QObject::tr("%1 s on %2").arg(seconds(s.value(QStringLiteral("seconds")).toDouble()), device));
    }
    const QJsonObject c = s.value(QStringLiteral("categories")).toObject();
    if (!c.isEmpty())
        facts << QObject::tr("%L1 hard, %L2 need review, %L3 easy")
                     .arg(c.value(QStringLiteral("hard")).toInteger())
                     .arg(c.value(QStringLiteral("need_review")).toInteger())
                     .arg(c.value(QStringLiteral("easy")).toInteger());
    const double agreement = outOfSampleAgreementOf(run);
    if (agreement >= 0.0)
        facts << QObject::tr("the out-of-sample classifier agrees with %1% of the given labels").arg(100.0 * agreement, 0, 'f', 1);
    return facts.isEmpty() ? line : line + QStringLiteral(": ") + facts.join(QStringLiteral("; "));
}

QString skippedSummaryLine(const RunInfo &run, int shown)
{
    const QJsonArray skipped = run.summary.value(QStringLiteral("skipped")).toArray();
    if (skipped.isEmpty())
        return QString();
    QStringList items;
    for (qsizetype i = 0; i < skipped.size() && i < shown; ++i) {
        const QJsonObject s = skipped.at(i).toObject();
        const QString location = s.value(QStringLiteral("location")).toString();
        items << QObject::tr("%1%2 (%3)")
                     .arg(QDir::toNativeSeparators(s.value(QStringLiteral("file")).toString()),
                          location.isEmpty() ? QString() : QStringLiteral(", ") + location,
                          s.value(QStringLiteral("reason")).toString());
    }
    QString line = QObject::tr("%n file(s) could not be read and are not in the analysis: ", nullptr, int(skipped.size()))
                   + items.join(QStringLiteral("; "));
    if (skipped.size() > shown)
        line += QObject::tr("; and %L1 more (the run's stored summary lists them all; so does `labelscope analyze` on stderr)")
                    .arg(skipped.size() - shown);
    return line;
}

double outOfSampleAgreementOf(const RunInfo &run)
{
    const QJsonValue v = run.summary.value(QStringLiteral("confident_learning")).toObject().value(QStringLiteral("out_of_sample_agreement"));
    return v.isDouble() ? v.toDouble() : -1.0;
}

void ReportPage::createRunSummary(QVBoxLayout *layout)
{
    m_runSummary = new QLabel(this);
    m_runSummary->setObjectName(QStringLiteral("runSummary"));
    m_runSummary->setWordWrap(true);
    m_runSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_runSummary->setStyleSheet(QStringLiteral("QLabel { border-bottom: 1px solid palette(mid); padding-bottom: 4px; }"));
    layout->addWidget(m_runSummary);
    updateRunSummary();
}

void ReportPage::updateRunSummary()
{
    const std::optional<RunInfo> &run = m_session->isOpen() ? m_session->run() : std::nullopt;
    QStringList lines;
    if (run) {
        lines << runSummaryLine(*run);
        const QString backbone = backboneSummaryLine(*run);
        if (!backbone.isEmpty())
            lines << backbone;
        const QString skipped = skippedSummaryLine(*run);
        if (!skipped.isEmpty())
            lines << skipped;
        // The run's flags are unreliable with a classifier this weak: said where the run is shown.
        if (const QString weak = weakClassifierNote(outOfSampleAgreementOf(*run), !backbone.isEmpty()); !weak.isEmpty())
            lines << tr("Warning: %1.").arg(weak);
    }
    m_runSummary->setText(lines.join(QLatin1Char('\n')));
    m_runSummary->setVisible(!lines.isEmpty());
}

QString ReportPage::runSummary() const { return m_runSummary->isHidden() ? QString() : m_runSummary->text(); }

} // namespace labelscope::ui
