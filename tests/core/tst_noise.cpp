// Tests of label-noise injection (core/base/noise.h) on synthetic datasets: exact counts,
// the asymmetric map, the class histogram under swap, determinism, the untouched test split.

#include "base/noise.h"

#include <QTest>

#include <cmath>
#include <map>

using namespace labelscope;

Q_DECLARE_METATYPE(labelscope::NoiseKind)

namespace {

QStringList digitClasses(int k)
{
    QStringList names;
    for (int i = 0; i < k; ++i)
        names << QString::number(i);
    return names;
}

/// `perClass` train samples of each class (interleaved), `test` test samples, `unlabelled`
/// unlabelled train samples. No pixels: noise only touches labels.
Dataset makeDataset(const QStringList &classes, int perClass, int test = 0, int unlabelled = 0)
{
    Dataset ds;
    ds.classes = classes;
    const int k = int(classes.size());
    for (int i = 0; i < perClass * k; ++i) {
        Sample s;
        s.source = QStringLiteral("idx");
        s.offset = i;
        s.split = i % 3 == 0 ? QString() : QStringLiteral("train"); // "" counts as train
        s.label = i % k;
        ds.samples.push_back(s);
    }
    for (int i = 0; i < test; ++i) {
        Sample s;
        s.split = QStringLiteral("test");
        s.label = i % k;
        ds.samples.push_back(s);
    }
    for (int i = 0; i < unlabelled; ++i) {
        Sample s;
        s.split = QStringLiteral("train");
        ds.samples.push_back(s);
    }
    return ds;
}

std::vector<int> labelsOf(const Dataset &ds)
{
    std::vector<int> labels;
    for (const Sample &s : ds.samples)
        labels.push_back(s.label);
    return labels;
}

std::map<int, int> trainHistogram(const Dataset &ds)
{
    std::map<int, int> h;
    for (const Sample &s : ds.samples)
        if (s.split != QLatin1String("test"))
            ++h[s.label];
    return h;
}

qint64 countChanged(const Dataset &ds)
{
    qint64 n = 0;
    for (const Sample &s : ds.samples)
        n += s.label != s.trueLabel;
    return n;
}

} // namespace

class TestNoise final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void kindNames_data();
    void kindNames();
    void asymmetricMapping();
    void symmetricExactCount_data();
    void symmetricExactCount();
    void symmetricUniformTargets();
    void asymmetricFollowsMap_data();
    void asymmetricFollowsMap();
    void swapPreservesHistogram_data();
    void swapPreservesHistogram();
    void testSplitAndUnlabelledUntouched_data();
    void testSplitAndUnlabelledUntouched();
    void deterministicPerSeed_data();
    void deterministicPerSeed();
    void goldenSymmetric();
    void edgeCases();
};

void TestNoise::kindNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<NoiseKind>("kind");
    QTest::newRow("symmetric") << "symmetric" << NoiseKind::Symmetric;
    QTest::newRow("swap") << "swap" << NoiseKind::Swap;
    QTest::newRow("asymmetric") << "asymmetric" << NoiseKind::Asymmetric;
}

void TestNoise::kindNames()
{
    QFETCH(QString, name);
    QFETCH(NoiseKind, kind);
    QCOMPARE(noiseKindName(kind), name);
    QVERIFY(parseNoiseKind(name) == kind);
    QVERIFY(parseNoiseKind(QStringLiteral(" %1 ").arg(name.toUpper())) == kind);
    QVERIFY(!parseNoiseKind(name + QStringLiteral("x")));
    QVERIFY(!parseNoiseKind(QString()));
}

void TestNoise::asymmetricMapping()
{
    // T-shirt→Shirt, Trouser, Pullover→Coat, Dress, Coat→Pullover, Sandal→Sneaker,
    // Shirt→T-shirt, Sneaker→Sandal, Bag, Ankle boot→Sneaker.
    QCOMPARE(asymmetricMap(fashionMnistClasses()), std::vector<int>({6, 1, 4, 3, 2, 7, 0, 5, 8, 7}));
    QCOMPARE(asymmetricMap(digitClasses(10)), std::vector<int>({1, 2, 3, 4, 5, 6, 7, 8, 9, 0}));
    QCOMPARE(asymmetricMap(digitClasses(3)), std::vector<int>({1, 2, 0}));
    QCOMPARE(asymmetricMap({}), std::vector<int>());
    QStringList almostFashion = fashionMnistClasses();
    almostFashion[9] = QStringLiteral("Boot");
    QCOMPARE(asymmetricMap(almostFashion), std::vector<int>({1, 2, 3, 4, 5, 6, 7, 8, 9, 0}));
}

void TestNoise::symmetricExactCount_data()
{
    QTest::addColumn<int>("classes");
    QTest::addColumn<int>("perClass");
    QTest::addColumn<double>("rate");
    QTest::addColumn<qint64>("expected");
    QTest::newRow("0%") << 10 << 100 << 0.0 << qint64(0);
    QTest::newRow("10%") << 10 << 100 << 0.1 << qint64(100);
    QTest::newRow("35%") << 10 << 100 << 0.35 << qint64(350);
    QTest::newRow("rounds 0.4*7=2.8 up") << 7 << 1 << 0.4 << qint64(3);
    QTest::newRow("rounds 0.5*7=3.5 up") << 7 << 1 << 0.5 << qint64(4);
    QTest::newRow("rounds 0.3*7=2.1 down") << 7 << 1 << 0.3 << qint64(2);
    QTest::newRow("100%") << 10 << 100 << 1.0 << qint64(1000);
    QTest::newRow("2 classes, 100%") << 2 << 50 << 1.0 << qint64(100);
    QTest::newRow("rate above 1 clamps") << 4 << 10 << 1.5 << qint64(40);
    QTest::newRow("negative rate") << 4 << 10 << -0.2 << qint64(0);
    QTest::newRow("NaN rate") << 4 << 10 << std::nan("") << qint64(0);
}

void TestNoise::symmetricExactCount()
{
    QFETCH(int, classes);
    QFETCH(int, perClass);
    QFETCH(double, rate);
    QFETCH(qint64, expected);
    Dataset ds = makeDataset(digitClasses(classes), perClass, 20, 5);
    const std::vector<int> before = labelsOf(ds);
    const qint64 changed = injectNoise(ds, NoiseKind::Symmetric, rate, 7);
    QCOMPARE(changed, expected);
    QCOMPARE(countChanged(ds), expected); // every chosen sample really moved to another class
    for (std::size_t i = 0; i < ds.samples.size(); ++i) {
        const Sample &s = ds.samples[i];
        QCOMPARE(s.trueLabel, before[i]);
        QVERIFY(s.label >= -1 && s.label < classes);
        if (before[i] < 0)
            QCOMPARE(s.label, -1);
    }
}

void TestNoise::symmetricUniformTargets()
{
    // 9000 samples of class 0 of 10, all flipped: each other class gets about 1000.
    Dataset ds;
    ds.classes = digitClasses(10);
    ds.samples.resize(9000);
    for (Sample &s : ds.samples)
        s.label = 0;
    QCOMPARE(injectNoise(ds, NoiseKind::Symmetric, 1.0, 2024), qint64(9000));
    std::vector<int> counts(10, 0);
    for (const Sample &s : ds.samples)
        ++counts[std::size_t(s.label)];
    QCOMPARE(counts[0], 0);
    for (int c = 1; c < 10; ++c) // sd ≈ 30: ±150 is five standard deviations
        QVERIFY2(std::abs(counts[std::size_t(c)] - 1000) < 150, qPrintable(QString::number(counts[std::size_t(c)])));
}

void TestNoise::asymmetricFollowsMap_data()
{
    QTest::addColumn<QStringList>("classes");
    QTest::addColumn<double>("rate");
    QTest::newRow("fashion 40%") << fashionMnistClasses() << 0.4;
    QTest::newRow("fashion 100%") << fashionMnistClasses() << 1.0;
    QTest::newRow("digits 25%") << digitClasses(10) << 0.25;
    QTest::newRow("three classes 50%") << digitClasses(3) << 0.5;
}

void TestNoise::asymmetricFollowsMap()
{
    QFETCH(QStringList, classes);
    QFETCH(double, rate);
    const int perClass = 101;
    Dataset ds = makeDataset(classes, perClass, 30, 4);
    const std::vector<int> map = asymmetricMap(classes);
    const qint64 changed = injectNoise(ds, NoiseKind::Asymmetric, rate, 99);

    std::vector<int> moved(std::size_t(classes.size()), 0);
    for (const Sample &s : ds.samples) {
        if (s.label == s.trueLabel)
            continue;
        QVERIFY(s.trueLabel >= 0);
        QCOMPARE(s.label, map[std::size_t(s.trueLabel)]);
        QVERIFY(s.split != QLatin1String("test"));
        ++moved[std::size_t(s.trueLabel)];
    }
    qint64 expected = 0;
    for (int c = 0; c < classes.size(); ++c) {
        const int want = map[std::size_t(c)] == c ? 0 : int(std::llround(rate * perClass));
        QCOMPARE(moved[std::size_t(c)], want); // an exact fraction of each class
        expected += want;
    }
    QCOMPARE(changed, expected);
    QCOMPARE(countChanged(ds), expected);
}

void TestNoise::swapPreservesHistogram_data()
{
    QTest::addColumn<double>("rate");
    QTest::newRow("20%") << 0.2;
    QTest::newRow("50%") << 0.5;
    QTest::newRow("100%") << 1.0;
}

void TestNoise::swapPreservesHistogram()
{
    QFETCH(double, rate);
    Dataset ds = makeDataset(fashionMnistClasses(), 60, 25, 3);
    const std::map<int, int> before = trainHistogram(ds);
    const qint64 changed = injectNoise(ds, NoiseKind::Swap, rate, 5);
    QCOMPARE(trainHistogram(ds), before);
    QCOMPARE(countChanged(ds), changed);
    const qint64 chosen = std::llround(rate * 600);
    // Among k labels of 10 balanced classes about 90% land on a different class.
    QVERIFY2(changed <= chosen && changed >= chosen * 8 / 10, qPrintable(QString::number(changed)));
}

void TestNoise::testSplitAndUnlabelledUntouched_data()
{
    QTest::addColumn<NoiseKind>("kind");
    QTest::newRow("symmetric") << NoiseKind::Symmetric;
    QTest::newRow("swap") << NoiseKind::Swap;
    QTest::newRow("asymmetric") << NoiseKind::Asymmetric;
}

void TestNoise::testSplitAndUnlabelledUntouched()
{
    QFETCH(NoiseKind, kind);
    Dataset ds = makeDataset(fashionMnistClasses(), 20, 200, 10);
    const std::vector<int> before = labelsOf(ds);
    QVERIFY(injectNoise(ds, kind, 1.0, 11) > 0);
    int tests = 0, unlabelled = 0;
    for (std::size_t i = 0; i < ds.samples.size(); ++i) {
        const Sample &s = ds.samples[i];
        if (s.split == QLatin1String("test")) {
            ++tests;
            QCOMPARE(s.label, before[i]);
            QCOMPARE(s.trueLabel, before[i]); // known true label, = label
        } else if (before[i] < 0) {
            ++unlabelled;
            QCOMPARE(s.label, -1);
            QCOMPARE(s.trueLabel, -1);
        } else {
            QCOMPARE(s.trueLabel, before[i]);
        }
    }
    QCOMPARE(tests, 200);
    QCOMPARE(unlabelled, 10);
}

void TestNoise::deterministicPerSeed_data()
{
    testSplitAndUnlabelledUntouched_data();
}

void TestNoise::deterministicPerSeed()
{
    QFETCH(NoiseKind, kind);
    const Dataset clean = makeDataset(digitClasses(10), 50);
    Dataset a = clean, b = clean, c = clean;
    const qint64 na = injectNoise(a, kind, 0.3, 123456789);
    const qint64 nb = injectNoise(b, kind, 0.3, 123456789);
    injectNoise(c, kind, 0.3, 987654321);
    QCOMPARE(na, nb);
    QCOMPARE(labelsOf(a), labelsOf(b));
    QVERIFY(labelsOf(a) != labelsOf(c));
    QVERIFY(labelsOf(a) != labelsOf(clean));
}

void TestNoise::goldenSymmetric()
{
    // Pins the exact choices for one seed: mt19937_64's output is fixed by the standard and the
    // bounded draws are our own, so this holds with every compiler and standard library. (The
    // symmetric list was checked against an independent Python mt19937_64.)
    Dataset ds = makeDataset(digitClasses(4), 5);
    QCOMPARE(injectNoise(ds, NoiseKind::Symmetric, 0.5, 42), qint64(10));
    QCOMPARE(labelsOf(ds), std::vector<int>({1, 0, 1, 3, 0, 1, 1, 3, 3, 0, 0, 3, 0, 3, 2, 3, 0, 3, 1, 3}));
    ds = makeDataset(digitClasses(4), 5);
    injectNoise(ds, NoiseKind::Swap, 0.5, 42);
    QCOMPARE(labelsOf(ds), std::vector<int>({0, 0, 1, 3, 0, 1, 1, 3, 1, 1, 2, 3, 0, 2, 2, 3, 0, 2, 2, 3}));
}

void TestNoise::edgeCases()
{
    // One class: nothing to flip to.
    Dataset one = makeDataset(digitClasses(1), 10);
    QCOMPARE(injectNoise(one, NoiseKind::Symmetric, 0.5, 1), qint64(0));
    QCOMPARE(injectNoise(one, NoiseKind::Asymmetric, 0.5, 1), qint64(0));
    QCOMPARE(one.samples[3].trueLabel, 0);
    // Empty dataset.
    Dataset empty;
    QCOMPARE(injectNoise(empty, NoiseKind::Swap, 0.5, 1), qint64(0));
    // Labels beyond the class list (classes missing) still count as classes.
    Dataset noNames = makeDataset(digitClasses(5), 10);
    noNames.classes.clear();
    QCOMPARE(injectNoise(noNames, NoiseKind::Symmetric, 1.0, 3), qint64(50));
    for (const Sample &s : noNames.samples)
        QVERIFY(s.label >= 0 && s.label < 5 && s.label != s.trueLabel);
    // A second injection keeps the original true labels.
    Dataset twice = makeDataset(digitClasses(5), 10);
    const std::vector<int> original = labelsOf(twice);
    injectNoise(twice, NoiseKind::Symmetric, 0.5, 1);
    injectNoise(twice, NoiseKind::Symmetric, 0.5, 2);
    for (std::size_t i = 0; i < twice.samples.size(); ++i)
        QCOMPARE(twice.samples[i].trueLabel, original[i]);
}

QTEST_GUILESS_MAIN(TestNoise)
#include "tst_noise.moc"
