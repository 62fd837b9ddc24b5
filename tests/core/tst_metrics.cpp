// Tests of the detection metrics (core/base/metrics.h): AUROC and precision / recall / F1 worked
// by hand, ties and degenerate inputs.

#include "base/metrics.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <vector>

using namespace labelscope;

class TestMetrics final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void auroc_data();
    void auroc();
    void binaryCounts();
    void precisionRecallF1_data();
    void precisionRecallF1();
};

void TestMetrics::auroc_data()
{
    QTest::addColumn<QList<float>>("scores");
    QTest::addColumn<QList<bool>>("positive");
    QTest::addColumn<double>("expected");

    QTest::newRow("perfect") << QList<float>{.1f, .2f, .8f, .9f} << QList<bool>{false, false, true, true} << 1.0;
    QTest::newRow("reversed") << QList<float>{.1f, .2f, .8f, .9f} << QList<bool>{true, true, false, false} << 0.0;
    QTest::newRow("all ties") << QList<float>{.5f, .5f, .5f, .5f, .5f} << QList<bool>{true, false, true, false, false} << 0.5;
    // Positives {.4, .8}, negatives {.1, .4}; pairs (pos, neg): (.4,.1) 1, (.4,.4) ½, (.8,.1) 1,
    // (.8,.4) 1 → 3.5 / 4 = .875. By ranks: .1→1, .4,.4→2.5, .8→4; positive rank sum 6.5;
    // U = 6.5 − 2·3/2 = 3.5.
    QTest::newRow("tie across classes") << QList<float>{.1f, .4f, .4f, .8f} << QList<bool>{false, true, false, true} << 0.875;
    // Positives {.2, .5}, negatives {.2, .2, .5}: .2 vs (.2, .2, .5) = ½ + ½ + 0 = 1;
    // .5 vs (.2, .2, .5) = 1 + 1 + ½ = 2.5 → 3.5 / 6 = .583333. Input order shuffled.
    QTest::newRow("two tie groups") << QList<float>{.5f, .2f, .2f, .5f, .2f} << QList<bool>{true, false, true, false, false}
                                    << 3.5 / 6.0;
    // One positive ranked above 2 of 3 negatives: 2/3.
    QTest::newRow("single positive") << QList<float>{3.f, 1.f, 4.f, 2.f} << QList<bool>{true, false, false, false} << 2.0 / 3.0;
    // Negative scores and an unsorted input: positives {−1, 5}, negatives {−3, 0, 7}:
    // −1 beats −3 → 1; 5 beats −3, 0 → 2; total 3/6 = .5 (not a tie case).
    QTest::newRow("negative scores") << QList<float>{7.f, -1.f, 0.f, 5.f, -3.f} << QList<bool>{false, true, false, true, false} << 0.5;
    QTest::newRow("no positives") << QList<float>{.1f, .9f} << QList<bool>{false, false} << 0.5;
    QTest::newRow("no negatives") << QList<float>{.1f, .9f} << QList<bool>{true, true} << 0.5;
    QTest::newRow("empty") << QList<float>{} << QList<bool>{} << 0.5;
}

void TestMetrics::auroc()
{
    QFETCH(QList<float>, scores);
    QFETCH(QList<bool>, positive);
    QFETCH(double, expected);
    const std::vector<float> s(scores.begin(), scores.end());
    const std::vector<bool> p(positive.begin(), positive.end());
    const double a = labelscope::auroc(s, p);
    QVERIFY2(std::abs(a - expected) < 1e-12, qPrintable(QStringLiteral("%1 vs %2").arg(a).arg(expected)));
    // Flipping the labels mirrors the AUROC (when both classes are present).
    std::vector<bool> flipped(p.size());
    for (std::size_t i = 0; i < p.size(); ++i)
        flipped[i] = !p[i];
    QVERIFY(std::abs(labelscope::auroc(s, flipped) - (1.0 - expected)) < 1e-12);
}

void TestMetrics::binaryCounts()
{
    //            0  1  2  3  4  5  6  7
    // flagged    T  T  T  F  F  F  F  T
    // positive   T  F  T  T  F  F  T  T
    // TP {0, 2, 7} = 3, FP {1} = 1, FN {3, 6} = 2, TN {4, 5} = 2.
    // precision 3/4 = .75, recall 3/5 = .6, F1 = 2·.75·.6/(.75 + .6) = .9/1.35 = 2/3.
    const auto c = labelscope::binaryCounts({true, true, true, false, false, false, false, true},
                                            {true, false, true, true, false, false, true, true});
    QCOMPARE(c.truePositive, std::int64_t(3));
    QCOMPARE(c.falsePositive, std::int64_t(1));
    QCOMPARE(c.falseNegative, std::int64_t(2));
    QCOMPARE(c.trueNegative, std::int64_t(2));
    QCOMPARE(c.precision(), 0.75);
    QCOMPARE(c.recall(), 0.6);
    QVERIFY(std::abs(c.f1() - 2.0 / 3.0) < 1e-12);

    const auto empty = labelscope::binaryCounts({}, {});
    QCOMPARE(empty.truePositive + empty.falsePositive + empty.falseNegative + empty.trueNegative,
             std::int64_t(0));
    QCOMPARE(empty.f1(), 0.0);
}

void TestMetrics::precisionRecallF1_data()
{
    QTest::addColumn<qint64>("tp");
    QTest::addColumn<qint64>("fp");
    QTest::addColumn<qint64>("fn");
    QTest::addColumn<qint64>("tn");
    QTest::addColumn<double>("precision");
    QTest::addColumn<double>("recall");
    QTest::addColumn<double>("f1");

    // p = tp/(tp+fp), r = tp/(tp+fn), f1 = 2pr/(p+r) = 2tp/(2tp+fp+fn); 0 where a denominator is 0.
    QTest::newRow("perfect") << qint64(5) << qint64(0) << qint64(0) << qint64(5) << 1.0 << 1.0 << 1.0;
    QTest::newRow("half/third") << qint64(1) << qint64(1) << qint64(2) << qint64(0) << 0.5 << 1.0 / 3.0 << 0.4; // 2/(2+3)
    QTest::newRow("nothing flagged") << qint64(0) << qint64(0) << qint64(4) << qint64(6) << 0.0 << 0.0 << 0.0;
    QTest::newRow("no positives, some flagged") << qint64(0) << qint64(3) << qint64(0) << qint64(7) << 0.0 << 0.0 << 0.0;
    QTest::newRow("no positives, none flagged") << qint64(0) << qint64(0) << qint64(0) << qint64(9) << 0.0 << 0.0 << 0.0;
    QTest::newRow("all flagged, all wrong") << qint64(0) << qint64(4) << qint64(4) << qint64(0) << 0.0 << 0.0 << 0.0;
    QTest::newRow("flag everything") << qint64(2) << qint64(8) << qint64(0) << qint64(0) << 0.2 << 1.0 << 2.0 / 6.0; // 4/12
    QTest::newRow("large counts") << qint64(3000000000) << qint64(1000000000) << qint64(1000000000) << qint64(0)
                                  << 0.75 << 0.75 << 0.75;
}

void TestMetrics::precisionRecallF1()
{
    QFETCH(qint64, tp);
    QFETCH(qint64, fp);
    QFETCH(qint64, fn);
    QFETCH(qint64, tn);
    QFETCH(double, precision);
    QFETCH(double, recall);
    QFETCH(double, f1);
    BinaryCounts c;
    c.truePositive = tp;
    c.falsePositive = fp;
    c.falseNegative = fn;
    c.trueNegative = tn;
    QVERIFY(std::abs(c.precision() - precision) < 1e-12);
    QVERIFY(std::abs(c.recall() - recall) < 1e-12);
    QVERIFY2(std::abs(c.f1() - f1) < 1e-12, qPrintable(QString::number(c.f1())));
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
