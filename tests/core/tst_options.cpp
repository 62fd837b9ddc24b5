// The name tables of the enumerated options (core/base/enumnames.h): every name reads back as its
// value and every value writes its name; unknown names are refused; the help and error texts
// list the names.
#include "base/confidentlearning.h"
#include "base/enumnames.h"
#include "base/noise.h"
#include "ml/options.h"
#include "ml/querystrategy.h"
#include "ml/tsne.h"

#include <QSet>
#include <QtTest>

using namespace labelscope;

namespace {

template <class E, std::size_t N>
void checkTable(const EnumName<E> (&table)[N])
{
    QSet<QString> names;
    QSet<int> values;
    for (const EnumName<E> &e : table) {
        const QString name = QString::fromLatin1(e.name);
        QVERIFY2(!name.isEmpty() && !names.contains(name), e.name);
        QVERIFY2(!values.contains(int(e.value)), e.name);
        names.insert(name);
        values.insert(int(e.value));
        QVERIFY(enumFromName(table, name) == e.value);
        QCOMPARE(enumName(table, e.value), name);
        QVERIFY(!enumFromName(table, name + QLatin1Char('x')));
        QVERIFY(!enumFromName(table, name.toUpper() == name ? name.toLower() + QLatin1Char('_') : name.toUpper()));
    }
    QVERIFY(!enumFromName(table, QString()));
    QCOMPARE(enumNames(table).size(), qsizetype(N));
}

} // namespace

class TestOptions final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyTableReadsBack()
    {
        checkTable(kAnalysisMethodNames);
        checkTable(kDeviceNames);
        checkTable(kArchitectureNames);
        checkTable(kPrecisionNames);
        checkTable(kNoiseKindNames);
        checkTable(kFilterByNames);
        checkTable(kLabelQualityScoreNames);
        checkTable(kTsneDeviceNames);
        checkTable(kUncertaintyNames);
        checkTable(kDiversityNames);
        checkTable(kEmbeddingHeadNames);
    }

    void namesForHumans()
    {
        QCOMPARE(enumNameList(kAnalysisMethodNames), QStringLiteral("all, data-parameters, confident-learning or embedding"));
        QCOMPARE(enumNameList(kDeviceNames), QStringLiteral("auto, cpu or cuda"));
        QCOMPARE(unknownNameError(kPrecisionNames, QStringLiteral("precision"), QStringLiteral("fp16")),
                 QStringLiteral("unknown precision 'fp16' (use auto, fp32 or bf16)"));
        // The noise kind also accepts case and blanks, as typed in a dialog or a config.
        QVERIFY(parseNoiseKind(QStringLiteral(" Asymmetric ")) == NoiseKind::Asymmetric);
        QVERIFY(!parseNoiseKind(QStringLiteral("pairflip")));
    }
};

QTEST_GUILESS_MAIN(TestOptions)
#include "tst_options.moc"
