// Tests of Confident Learning (core/base/confidentlearning.h) and the .npy reader
// (core/base/npy.h): parity with cleanlab 2.9.0 on a Fashion-MNIST fixture (tests/data/cl_parity),
// hand-worked small cases and input errors.

#include "base/confidentlearning.h"
#include "base/npy.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <set>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace labelscope;

namespace {

QString fixture(const QString &name)
{
    return QStringLiteral(LABELSCOPE_TEST_DATA_DIR "/cl_parity/fmnist_lr_noise20_%1.npy").arg(name);
}

std::vector<int64_t> run(const std::vector<int> &labels, const std::vector<double> &probs, int k,
                         const QString &filterBy, double fracNoise = 1.0, int mepc = 1,
                         const QString &rankBy = {})
{
    // The tests name the methods as cleanlab does; the tables turn them into the options.
    LabelIssuesOptions o;
    o.filterBy = enumFromName(kFilterByNames, filterBy).value();
    o.fracNoise = fracNoise;
    o.minExamplesPerClass = mepc;
    if (!rankBy.isEmpty())
        o.rankBy = enumFromName(kLabelQualityScoreNames, rankBy).value();
    const LabelIssuesResult r = findLabelIssues(labels, probs, k, o);
    if (!r.ok())
        qWarning() << r.error;
    return r.indices;
}

using Idx = std::vector<int64_t>;

const QStringList kPruneFilters = {QStringLiteral("prune_by_noise_rate"),
                                   QStringLiteral("prune_by_class"), QStringLiteral("both")};

/// A .npy v1.0 file image with the given header dict and `dataBytes` bytes of payload.
QByteArray npyBytes(const QByteArray &dict, int dataBytes, const QByteArray &magic = "\x93NUMPY")
{
    QByteArray header = dict;
    while ((10 + header.size() + 1) % 64 != 0)
        header.append(' ');
    header.append('\n');
    QByteArray out = magic;
    out.append(char(1));
    out.append(char(0));
    out.append(char(header.size() & 0xff));
    out.append(char(header.size() >> 8));
    out.append(header);
    out.append(QByteArray(dataBytes, '\0'));
    return out;
}

} // namespace

class TestConfidentLearning final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parity_data();
    void parity();
    void parityRankedSelfConfidence();
    void emptyClass();
    void singleSampleClass();
    void allTieRows();
    void fracNoiseAndMinExamples();
    void rankingScores();
    void inputErrors();
    void npyReader();
    void npyMalformed();
    void overlappingClassesConstructed();
    void overlappingClassesOnFashionMnist();

private:
    bool loadFixture();
    std::vector<int> m_labels;
    std::vector<double> m_probs;
    int m_classes = 0;
};

bool TestConfidentLearning::loadFixture()
{
    if (!m_labels.empty())
        return true;
    NpyArray labels, probs;
    QString error;
    if (!readNpy(fixture(QStringLiteral("labels")), &labels, &error)
        || !readNpy(fixture(QStringLiteral("pred_probs")), &probs, &error)) {
        qWarning() << error;
        return false;
    }
    if (!labels.isInteger() || probs.descr != QLatin1String("<f4") || probs.shape.size() != 2
        || labels.shape.size() != 1 || labels.shape[0] != probs.shape[0])
        return false;
    m_labels.assign(labels.ints.begin(), labels.ints.end());
    m_probs = probs.doubles;
    m_classes = int(probs.shape[1]);
    return true;
}

void TestConfidentLearning::parity_data()
{
    QTest::addColumn<QString>("filterBy");
    for (const char *f : {"prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
                          "predicted_neq_given"})
        QTest::newRow(f) << QString::fromLatin1(f);
}

void TestConfidentLearning::parity()
{
    QFETCH(QString, filterBy);
    QVERIFY(loadFixture());
    QCOMPARE(m_labels.size(), size_t(60000));
    QCOMPARE(m_classes, 10);
    NpyArray expected;
    QString error;
    QVERIFY2(readNpy(fixture(QStringLiteral("cleanlab_") + filterBy), &expected, &error),
             qPrintable(error));
    QVERIFY(expected.isInteger());

    LabelIssuesOptions o;
    o.filterBy = enumFromName(kFilterByNames, filterBy).value();
    QElapsedTimer timer;
    timer.start();
    const LabelIssuesResult r = findLabelIssues(m_labels, m_probs, m_classes, o);
    const double ms = timer.nsecsElapsed() / 1e6;
    QVERIFY2(r.ok(), qPrintable(r.error));
    qInfo("find_label_issues(%s) on 60000 x 10: %.1f ms, %lld flagged (cleanlab: %lld)",
          qPrintable(filterBy), ms, qlonglong(r.numLabelIssues), qlonglong(expected.ints.size()));

    Idx missing, extra;
    std::set_difference(expected.ints.begin(), expected.ints.end(), r.indices.begin(),
                        r.indices.end(), std::back_inserter(missing));
    std::set_difference(r.indices.begin(), r.indices.end(), expected.ints.begin(),
                        expected.ints.end(), std::back_inserter(extra));
    if (!missing.empty() || !extra.empty())
        qWarning("%s: %zu missing (first %lld), %zu extra (first %lld)", qPrintable(filterBy),
                 missing.size(), missing.empty() ? -1LL : qlonglong(missing[0]), extra.size(),
                 extra.empty() ? -1LL : qlonglong(extra[0]));
    QVERIFY(missing.empty());
    QVERIFY(extra.empty());
}

void TestConfidentLearning::parityRankedSelfConfidence()
{
    QVERIFY(loadFixture());
    NpyArray expected;
    QString error;
    QVERIFY2(readNpy(fixture(QStringLiteral("cleanlab_ranked_self_confidence")), &expected, &error),
             qPrintable(error));
    const Idx ranked = run(m_labels, m_probs, m_classes, QStringLiteral("prune_by_noise_rate"), 1.0,
                           1, QStringLiteral("self_confidence"));
    const std::vector<double> score = labelscope::rankingScores(
            m_labels, m_probs, m_classes, LabelQualityScore::SelfConfidence);
    QCOMPARE(score.size(), m_labels.size());
    for (size_t i = 1; i < ranked.size(); ++i)
        QVERIFY(score[ranked[i - 1]] <= score[ranked[i]]);
    for (size_t i = 1; i < expected.ints.size(); ++i)
        QVERIFY(score[expected.ints[i - 1]] <= score[expected.ints[i]]);
    Idx a = ranked, b = expected.ints;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    QCOMPARE(a, b);
}

// K = 3, class 2 has no samples: threshold 2, diagonal raised to 1, calibrated row all zero.
void TestConfidentLearning::emptyClass()
{
    const std::vector<int> labels = {0, 0, 0, 1, 1, 1};
    const std::vector<double> probs = {0.9, 0.1, 0.0, 0.8, 0.2, 0.0, 0.1, 0.9, 0.0,
                                       0.1, 0.9, 0.0, 0.2, 0.8, 0.0, 0.3, 0.3, 0.4};
    LabelIssuesOptions o;
    const LabelIssuesResult r = findLabelIssues(labels, probs, 3, o);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.thresholds.size(), size_t(3));
    QVERIFY(std::abs(r.thresholds[0] - 0.6) < 1e-12);
    QVERIFY(std::abs(r.thresholds[1] - 2.0 / 3.0) < 1e-12);
    QCOMPARE(r.thresholds[2], 2.0);
    QCOMPARE(r.confidentJoint, (Idx{2, 1, 0, 0, 2, 0, 0, 0, 1}));
    QCOMPARE(r.calibratedJoint, (Idx{2, 1, 0, 0, 3, 0, 0, 0, 0}));
    QCOMPARE(r.indices, Idx{2});
    for (const QString &f : kPruneFilters)
        QCOMPARE(run(labels, probs, 3, f), Idx{2});
    QCOMPARE(run(labels, probs, 3, QStringLiteral("confident_learning")), Idx{2});
    QCOMPARE(run(labels, probs, 3, QStringLiteral("predicted_neq_given")), (Idx{2, 5}));
}

// Class 2 has one sample (labelled 2, looks like 0): confident_learning flags it, the prune
// methods never do, even with min_examples_per_class = 0. Row 2 of the calibrated joint
// [.5, 0, .5] rounds half to even to [0, 0, 0] and the deficit goes to the last largest part.
void TestConfidentLearning::singleSampleClass()
{
    const std::vector<int> labels = {0, 0, 0, 1, 1, 1, 2};
    const std::vector<double> probs = {0.9, 0.1, 0.0, 0.8, 0.2, 0.0, 0.1, 0.9, 0.0, 0.1, 0.9,
                                       0.0, 0.2, 0.8, 0.0, 0.3, 0.3, 0.4, 0.9, 0.05, 0.05};
    const LabelIssuesResult r = findLabelIssues(labels, probs, 3, {});
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.confidentJoint, (Idx{2, 1, 0, 0, 2, 1, 1, 0, 1}));
    QCOMPARE(r.calibratedJoint, (Idx{2, 1, 0, 0, 2, 1, 0, 0, 1}));
    QCOMPARE(run(labels, probs, 3, QStringLiteral("confident_learning")), (Idx{2, 5, 6}));
    QCOMPARE(run(labels, probs, 3, QStringLiteral("predicted_neq_given")), (Idx{2, 5, 6}));
    for (const QString &f : kPruneFilters) {
        QCOMPARE(run(labels, probs, 3, f), (Idx{2, 5}));
        QCOMPARE(run(labels, probs, 3, f, 1.0, 0), (Idx{2, 5}));
    }
}

// Every row is [0.5, 0.5]: both classes confident, argmax picks class 0; the 1e-6 post-filter
// then unflags everything (the given label wins the tie).
void TestConfidentLearning::allTieRows()
{
    const std::vector<int> labels = {0, 0, 1, 1};
    const std::vector<double> probs(8, 0.5);
    const LabelIssuesResult r = findLabelIssues(labels, probs, 2, {});
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.confidentJoint, (Idx{2, 0, 2, 1}));
    QCOMPARE(r.calibratedJoint, (Idx{2, 0, 1, 1}));
    for (const char *f : {"prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
                          "predicted_neq_given"})
        QVERIFY(run(labels, probs, 2, QString::fromLatin1(f)).empty());
}

// Class 0: samples 0-5 clean, 6-9 look like class 1 (p1 = .92 .94 .96 .98); class 1: 10-19 clean.
void TestConfidentLearning::fracNoiseAndMinExamples()
{
    std::vector<int> labels(20, 0);
    std::vector<double> probs;
    for (int i = 0; i < 6; ++i)
        probs.insert(probs.end(), {0.9, 0.1});
    for (double p1 : {0.92, 0.94, 0.96, 0.98})
        probs.insert(probs.end(), {1.0 - p1, p1});
    for (int i = 10; i < 20; ++i) {
        labels[i] = 1;
        probs.insert(probs.end(), {0.1, 0.9});
    }
    const LabelIssuesResult r = findLabelIssues(labels, probs, 2, {});
    QCOMPARE(r.confidentJoint, (Idx{6, 4, 0, 10}));
    QCOMPARE(r.calibratedJoint, (Idx{6, 4, 0, 10}));
    for (const QString &f : kPruneFilters) {
        QCOMPARE(run(labels, probs, 2, f), (Idx{6, 7, 8, 9}));
        QCOMPARE(run(labels, probs, 2, f, 0.5), (Idx{8, 9}));
        QCOMPARE(run(labels, probs, 2, f, 0.25), Idx{9});
        QCOMPARE(run(labels, probs, 2, f, 1.0, 8), (Idx{8, 9})); // diagonal 6 -> 8
        QVERIFY(run(labels, probs, 2, f, 1.0, 10).empty());      // class 0 too small to prune
        QVERIFY(run(labels, probs, 2, f, 1.0, 50).empty());
    }
    // Not pruned: frac_noise and min_examples_per_class do not apply.
    QCOMPARE(run(labels, probs, 2, QStringLiteral("confident_learning"), 0.5, 50),
             (Idx{6, 7, 8, 9}));
    // Ranked: lowest self-confidence first.
    QCOMPARE(run(labels, probs, 2, QStringLiteral("prune_by_noise_rate"), 1.0, 1,
                 QStringLiteral("self_confidence")),
             (Idx{9, 8, 7, 6}));
    // low_* methods: the 4 confident off-diagonals, chosen by the score.
    QCOMPARE(run(labels, probs, 2, QStringLiteral("low_self_confidence")), (Idx{6, 7, 8, 9}));
    QCOMPARE(run(labels, probs, 2, QStringLiteral("low_normalized_margin")), (Idx{6, 7, 8, 9}));
}

void TestConfidentLearning::rankingScores()
{
    const std::vector<int> labels = {0, 1, 2};
    const std::vector<double> probs = {0.7, 0.2, 0.1, 0.7, 0.2, 0.1, 1.0, 0.0, 0.0};
    const auto sc = labelscope::rankingScores(labels, probs, 3, LabelQualityScore::SelfConfidence);
    QCOMPARE(sc, (std::vector<double>{0.7, 0.2, 0.0}));
    const auto nm = labelscope::rankingScores(labels, probs, 3, LabelQualityScore::NormalizedMargin);
    QVERIFY(std::abs(nm[0] - 0.75) < 1e-12);
    QVERIFY(std::abs(nm[1] - 0.25) < 1e-12);
    QVERIFY(std::abs(nm[2] - 0.0) < 1e-12);
    const auto ce = labelscope::rankingScores(labels, probs, 3,
                                              LabelQualityScore::ConfidenceWeightedEntropy);
    QCOMPARE(ce.size(), size_t(3));
    QVERIFY(ce[1] < ce[0]);
    QVERIFY(ce[2] < 1e-4); // entropy 0 but self-confidence 0: r = 0 / 1e-6 -> score log(1) ... = 0
    QString error;
    QVERIFY(labelscope::rankingScores(labels, probs, 2, LabelQualityScore::SelfConfidence, &error).empty());
    QVERIFY(error.contains(QLatin1String("shape mismatch")));
    QVERIFY(!enumFromName(kLabelQualityScoreNames, QStringLiteral("nope")));
}

void TestConfidentLearning::inputErrors()
{
    const std::vector<int> labels = {0, 1};
    const std::vector<double> probs = {0.6, 0.4, 0.3, 0.7};
    auto err = [](const std::vector<int> &l, const std::vector<double> &p, int k,
                  LabelIssuesOptions o = {}) { return findLabelIssues(l, p, k, o).error; };
    QVERIFY(err(labels, probs, 2).isEmpty());
    QVERIFY(err(labels, {0.6, 0.4, 0.3}, 2).contains(QLatin1String("shape")));
    QVERIFY(err({0, 2}, probs, 2).contains(QLatin1String("out of range")));
    QVERIFY(err({-1, 0}, probs, 2).contains(QLatin1String("out of range")));
    QVERIFY(err(labels, {0.6, 0.4, 1.3, 0.7}, 2).contains(QLatin1String("outside [0, 1]")));
    QVERIFY(err(labels, {0.6, -0.1, 0.3, 0.7}, 2).contains(QLatin1String("outside [0, 1]")));
    QVERIFY(err(labels, {0.6, std::nan(""), 0.3, 0.7}, 2).contains(QLatin1String("NaN")));
    QVERIFY(err({0, 0}, {1.0, 1.0}, 1).contains(QLatin1String("at least 2 classes")));
    // Unknown method names are refused where they are read (command line, config).
    QVERIFY(!enumFromName(kFilterByNames, QStringLiteral("prune_by_magic")));
    QVERIFY(!enumFromName(kLabelQualityScoreNames, QStringLiteral("entropy")));
    LabelIssuesOptions o;
    o.fracNoise = 0.0;
    QVERIFY(err(labels, probs, 2, o).contains(QLatin1String("frac_noise")));
    const LabelIssuesResult r = findLabelIssues(labels, {0.6, 0.4, 0.3}, 2, {});
    QVERIFY(r.indices.empty() && r.confidentJoint.empty());
}

void TestConfidentLearning::npyReader()
{
    NpyArray a;
    QString error;
    QByteArray bytes = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 0);
    const double values[6] = {0.5, 1.5, -2.0, 3.0, 4.25, 1e-300};
    bytes.append(reinterpret_cast<const char *>(values), sizeof(values));
    QVERIFY2(parseNpy(bytes, QStringLiteral("x.npy"), &a, &error), qPrintable(error));
    QCOMPARE(a.shape, (std::vector<int64_t>{2, 3}));
    QCOMPARE(a.doubles, std::vector<double>(values, values + 6));

    bytes = npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 0);
    const int64_t ints[2] = {-7, 1LL << 40};
    bytes.append(reinterpret_cast<const char *>(ints), sizeof(ints));
    QVERIFY2(parseNpy(bytes, QStringLiteral("y.npy"), &a, &error), qPrintable(error));
    QCOMPARE(a.ints, (std::vector<int64_t>{-7, 1LL << 40}));

    // Version 2.0 header (4-byte length).
    QByteArray v1 = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 0);
    const float f = 0.25f;
    QByteArray v2 = QByteArray("\x93NUMPY\x02\x00", 8);
    const QByteArray header = v1.mid(10);
    const quint32 len = quint32(header.size());
    v2.append(char(len & 0xff)).append(char((len >> 8) & 0xff)).append(char(0)).append(char(0));
    v2.append(header).append(reinterpret_cast<const char *>(&f), 4);
    QVERIFY2(parseNpy(v2, QStringLiteral("z.npy"), &a, &error), qPrintable(error));
    QCOMPARE(a.doubles, std::vector<double>{0.25});

    QVERIFY(loadFixture()); // the real files
}

void TestConfidentLearning::npyMalformed()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto readBytes = [&](const QByteArray &bytes, QString *error) {
        const QString path = dir.filePath(QStringLiteral("bad.npy"));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return true;
        file.write(bytes);
        file.close();
        NpyArray a;
        return readNpy(path, &a, error);
    };
    QString error;
    QVERIFY(!readBytes(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", 8,
                                "\x93NUMPX"),
                       &error));
    QVERIFY(error.contains(QLatin1String("bad.npy")) && error.contains(QLatin1String("byte 0")));
    QVERIFY(error.contains(QLatin1String("magic")));

    QVERIFY(!readBytes(npyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", 32),
                       &error));
    QVERIFY(error.contains(QLatin1String("Fortran")) && error.contains(QLatin1String("bad.npy")));

    const QByteArray truncated =
            npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 31);
    QVERIFY(!readBytes(truncated, &error));
    QVERIFY(error.contains(QLatin1String("truncated")));
    QVERIFY(error.contains(QStringLiteral("byte %1").arg(truncated.size())));

    QVERIFY(!readBytes(npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", 8),
                       &error));
    QVERIFY(error.contains(QLatin1String("dtype")));

    QVERIFY(!readBytes(QByteArray("\x93NUMPY\x01", 7), &error));
    QVERIFY(error.contains(QLatin1String("truncated")));
}

// cleanlab.dataset.find_overlapping_classes (symmetric) on a calibrated joint worked by hand.
void TestConfidentLearning::overlappingClassesConstructed()
{
    // 150 samples; 0 and 1 swap 8 + 4 times, 0 and 2 twice + once, 1 and 2 never.
    const std::vector<int64_t> joint{50, 8, 2, 4, 40, 0, 1, 0, 45};
    const std::vector<OverlappingClasses> pairs = findOverlappingClasses(joint, 3);
    QCOMPARE(int(pairs.size()), 2);
    QCOMPARE(pairs[0].classA, 0);
    QCOMPARE(pairs[0].classB, 1);
    QCOMPARE(pairs[0].numOverlapping, int64_t(12));
    QCOMPARE(pairs[0].jointProbability, 12.0 / 150.0);
    QCOMPARE(pairs[1].classB, 2);
    QCOMPARE(pairs[1].numOverlapping, int64_t(3));
    QCOMPARE(int(findOverlappingClasses(joint, 3, 1).size()), 1);
    QVERIFY(findOverlappingClasses(joint, 4).empty()); // size mismatch
    QVERIFY(findOverlappingClasses({5}, 1).empty());   // one class: no pairs
    // A class of 3 labelled samples takes no part (its threshold rests on 3 samples); with a
    // minimum of 3 it does.
    const std::vector<int64_t> small{50, 8, 2, 4, 40, 0, 2, 0, 1};
    QCOMPARE(int(findOverlappingClasses(small, 3).size()), 1);
    QCOMPARE(int(findOverlappingClasses(small, 3, 0, 3).size()), 2);
    OverlappingClasses back;
    QVERIFY(overlappingClassesFromJson(overlappingClassesToJson(pairs[0]), &back));
    QCOMPARE(back.classB, 1);
    QCOMPARE(back.numOverlapping, int64_t(12));
    QCOMPARE(overlappingPairText(pairs[0], {QStringLiteral("cat"), QStringLiteral("dog"), QStringLiteral("fox")}),
             QStringLiteral("cat \u2194 dog: 12 samples (8.0%)"));
}

// On the 60,000 Fashion-MNIST pred_probs of the parity fixture: calibrating the confident joint
// alone gives findLabelIssues()' calibrated joint to the count; the overlaps account for every
// off-diagonal count; and the pair on top is one of Fashion-MNIST's look-alike garments (the
// fixture's noise is symmetric, so only the classifier's confusions can lift one pair above the
// rest: two of T-shirt/top 0, pullover 2, coat 4 and shirt 6).
void TestConfidentLearning::overlappingClassesOnFashionMnist()
{
    QVERIFY(loadFixture());
    const LabelIssuesResult r = findLabelIssues(m_labels, m_probs, m_classes);
    QVERIFY2(r.ok(), qPrintable(r.error));
    std::vector<int64_t> counts(std::size_t(m_classes), 0);
    for (const int label : m_labels)
        ++counts[std::size_t(label)];
    QCOMPARE(calibrateConfidentJoint(r.confidentJoint, counts), r.calibratedJoint);
    QVERIFY(calibrateConfidentJoint(r.confidentJoint, {1, 2}).empty());

    const std::vector<OverlappingClasses> pairs = findOverlappingClasses(r.calibratedJoint, m_classes);
    int64_t offDiagonal = 0, sum = 0;
    for (int g = 0; g < m_classes; ++g)
        for (int t = 0; t < m_classes; ++t)
            offDiagonal += g == t ? 0 : r.calibratedJoint[std::size_t(g * m_classes + t)];
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        sum += pairs[i].numOverlapping;
        QVERIFY(pairs[i].classA < pairs[i].classB);
        if (i > 0)
            QVERIFY(pairs[i - 1].numOverlapping >= pairs[i].numOverlapping);
    }
    QCOMPARE(sum, offDiagonal);
    const std::set<int> upperBody{0, 2, 4, 6};
    qInfo("top overlapping pair %d-%d: %lld samples (%.2f%%)", pairs[0].classA, pairs[0].classB,
          qlonglong(pairs[0].numOverlapping), 100.0 * pairs[0].jointProbability);
    QVERIFY(upperBody.count(pairs[0].classA) == 1 && upperBody.count(pairs[0].classB) == 1);
}

QTEST_GUILESS_MAIN(TestConfidentLearning)
#include "tst_confidentlearning.moc"
