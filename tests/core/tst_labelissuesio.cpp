// Stratified K-fold assignment and the file inputs/outputs of `labelscope find-issues`.
#include "base/confidentlearning.h"
#include "base/kfold.h"
#include "base/labelfiles.h"
#include "base/npy.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <map>
#include <random>

using namespace labelscope;

class TestLabelIssuesIo final : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    QString write(const QString &name, const QByteArray &bytes)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return {};
        f.write(bytes);
        return path;
    }

    static QByteArray npy(const char *descr, const QByteArray &shape, const QByteArray &data)
    {
        QByteArray dict = QByteArray("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
        while ((10 + dict.size() + 1) % 64)
            dict += ' ';
        dict += '\n';
        QByteArray out("\x93NUMPY\x01\x00", 8);
        out += char(dict.size() & 0xff);
        out += char(dict.size() >> 8);
        return out + dict + data;
    }

private Q_SLOTS:
    void stratifiedFoldsAreBalancedDisjointAndSeeded()
    {
        // Unequal classes, including one smaller than K.
        std::vector<int> labels;
        const int sizes[] = {103, 57, 3, 240};
        for (int c = 0; c < 4; ++c)
            labels.insert(labels.end(), std::size_t(sizes[c]), c);
        std::shuffle(labels.begin(), labels.end(), std::mt19937(4));
        const std::vector<int> fold = stratifiedKFold(labels, 4, 11);
        QCOMPARE(fold.size(), labels.size());
        std::map<int, std::map<int, int>> perClass; // class → fold → count
        std::map<int, int> perFold;
        for (std::size_t i = 0; i < fold.size(); ++i) {
            QVERIFY(fold[i] >= 0 && fold[i] < 4);
            ++perClass[labels[i]][fold[i]];
            ++perFold[fold[i]];
        }
        // Every sample is in exactly one fold (held out once, trained on by the K − 1 others);
        // sizes differ by at most one overall and within each class.
        int lo = INT_MAX, hi = 0;
        for (const auto &[f, count] : perFold) {
            lo = std::min(lo, count);
            hi = std::max(hi, count);
        }
        QVERIFY(hi - lo <= 1);
        for (int c = 0; c < 4; ++c) {
            int clo = INT_MAX, chi = 0;
            for (int f = 0; f < 4; ++f) {
                const int k = perClass[c].count(f) ? perClass[c][f] : 0;
                clo = std::min(clo, k);
                chi = std::max(chi, k);
            }
            QVERIFY2(chi - clo <= 1, qPrintable(QStringLiteral("class %1: %2..%3").arg(c).arg(clo).arg(chi)));
        }
        QCOMPARE(stratifiedKFold(labels, 4, 11), fold);
        QVERIFY(stratifiedKFold(labels, 4, 12) != fold);

        QString error;
        QVERIFY(stratifiedKFold(labels, 1, 1, &error).empty());
        QVERIFY(error.contains(QLatin1String("K")));
        QVERIFY(stratifiedKFold({0, 1}, 3, 1, &error).empty());
        QVERIFY(stratifiedKFold({0, -1, 1}, 2, 1, &error).empty());
        QVERIFY(error.contains(QLatin1String("no label")));
    }

    void labelsFromEveryIntegerDtype()
    {
        const struct {
            const char *descr;
            int size;
        } types[] = {{"|u1", 1}, {"|i1", 1}, {"<i2", 2}, {"<u2", 2}, {"<i4", 4}, {"<u4", 4}, {"<i8", 8}, {"<u8", 8}};
        for (const auto &t : types) {
            QByteArray data;
            for (int v : {3, 0, 9, 1}) {
                QByteArray item(t.size, '\0');
                item[0] = char(v);
                data += item;
            }
            const QString path = write(QStringLiteral("labels.npy"), npy(t.descr, "4,", data));
            std::vector<int> labels;
            QString error;
            QVERIFY2(readLabelsFile(path, &labels, &error), qPrintable(QLatin1String(t.descr) + QLatin1Char(' ') + error));
            QCOMPARE(labels, (std::vector<int>{3, 0, 9, 1}));
        }
        // int32 negative label: refused with the index.
        const qint32 neg[2] = {1, -2};
        std::vector<int> labels;
        QString error;
        QVERIFY(!readLabelsFile(write(QStringLiteral("neg.npy"), npy("<i4", "2,", QByteArray(reinterpret_cast<const char *>(neg), 8))), &labels, &error));
        QVERIFY2(error.contains(QLatin1String("neg.npy")) && error.contains(QLatin1String("index 1")), qPrintable(error));
        // Float labels and a [N, 2] shape are refused.
        const double d[2] = {1.0, 2.0};
        QVERIFY(!readLabelsFile(write(QStringLiteral("f.npy"), npy("<f8", "2,", QByteArray(reinterpret_cast<const char *>(d), 16))), &labels, &error));
        QVERIFY(error.contains(QLatin1String("integer")));
        const qint64 two[4] = {0, 1, 1, 0};
        QVERIFY(!readLabelsFile(write(QStringLiteral("2d.npy"), npy("<i8", "2, 2", QByteArray(reinterpret_cast<const char *>(two), 32))), &labels, &error));
        QVERIFY(error.contains(QLatin1String("shape")));
        // Big-endian is refused, naming the dtype.
        QVERIFY(!readLabelsFile(write(QStringLiteral("be.npy"), npy(">i4", "1,", QByteArray(4, '\0'))), &labels, &error));
        QVERIFY(error.contains(QLatin1String(">i4")));
    }

    void csvInputs()
    {
        std::vector<int> labels;
        QString error;
        QVERIFY2(readLabelsFile(write(QStringLiteral("l.csv"), "label\n2\n0\n\n1\n"), &labels, &error), qPrintable(error));
        QCOMPARE(labels, (std::vector<int>{2, 0, 1}));
        QVERIFY(!readLabelsFile(write(QStringLiteral("bad.csv"), "1\n2\nx\n"), &labels, &error));
        QVERIFY2(error.contains(QLatin1String("bad.csv:3")), qPrintable(error));
        QVERIFY(!readLabelsFile(write(QStringLiteral("frac.csv"), "1\n2.5\n"), &labels, &error));
        QVERIFY(error.contains(QLatin1String("row 2")));
        QVERIFY(!readLabelsFile(write(QStringLiteral("empty.csv"), "label\n"), &labels, &error));
        QVERIFY(error.contains(QLatin1String("no data")));

        std::vector<double> probs;
        int n = 0, k = 0;
        QVERIFY2(readPredProbsFile(write(QStringLiteral("p.csv"), "p0,p1\n0.9,0.1\n0.2,0.8\n"), &probs, &n, &k, &error), qPrintable(error));
        QCOMPARE(n, 2);
        QCOMPARE(k, 2);
        QCOMPARE(probs, (std::vector<double>{0.9, 0.1, 0.2, 0.8}));
        QVERIFY(!readPredProbsFile(write(QStringLiteral("ragged.csv"), "0.9,0.1\n0.2\n"), &probs, &n, &k, &error));
        QVERIFY2(error.contains(QLatin1String("row 2")) && error.contains(QLatin1String("ragged.csv")), qPrintable(error));
        QVERIFY(!readPredProbsFile(write(QStringLiteral("range.csv"), "0.9,0.1\n1.2,-0.2\n"), &probs, &n, &k, &error));
        QVERIFY2(error.contains(QLatin1String("[1, 0]")), qPrintable(error));
        QVERIFY(!readPredProbsFile(write(QStringLiteral("nan.csv"), "0.9,0.1\nnan,0.5\n"), &probs, &n, &k, &error));
        QVERIFY(!error.isEmpty());
        // Integer pred_probs and a 1-D array are refused.
        QVERIFY(!readPredProbsFile(write(QStringLiteral("int.npy"), npy("<i8", "1, 1", QByteArray(8, '\0'))), &probs, &n, &k, &error));
        QVERIFY(error.contains(QLatin1String("float")));
        const float one[2] = {0.5f, 0.5f};
        QVERIFY(!readPredProbsFile(write(QStringLiteral("1d.npy"), npy("<f4", "2,", QByteArray(reinterpret_cast<const char *>(one), 8))), &probs, &n, &k, &error));
        QVERIFY(error.contains(QLatin1String("shape")));
    }

    void npyWriterRoundTrips()
    {
        QString error;
        const std::vector<int64_t> idx{5, 1, 1LL << 35, 0};
        const QString a = m_dir.filePath(QStringLiteral("idx.npy"));
        QVERIFY2(writeNpy(a, {4}, idx, &error), qPrintable(error));
        NpyArray back;
        QVERIFY2(readNpy(a, &back, &error), qPrintable(error));
        QCOMPARE(back.shape, std::vector<int64_t>{4});
        QCOMPARE(back.ints, idx);
        const std::vector<float> xy{0.5f, -1.f, 2.f, 3.25f, 0.f, 1e-3f};
        const QString b = m_dir.filePath(QStringLiteral("xy.npy"));
        QVERIFY(writeNpy(b, {3, 2}, xy, &error));
        QVERIFY(readNpy(b, &back, &error));
        QCOMPARE(back.shape, (std::vector<int64_t>{3, 2}));
        QCOMPARE(back.doubles, std::vector<double>(xy.begin(), xy.end()));
        QVERIFY(!writeNpy(b, {4, 2}, xy, &error));
        // The data starts on a 64-byte boundary, as numpy writes it.
        QFile f(b);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE((f.size() - qint64(xy.size() * 4)) % 64, qint64(0));
    }

    // The CSV path gives the same flagged set as the .npy path of the same data.
    void findIssuesOnCsvMatchesNpy()
    {
        std::mt19937 rng(2);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        const int n = 300, k = 3;
        QByteArray labelCsv = "label\n", probCsv;
        std::vector<int> labels(n);
        std::vector<double> probs(std::size_t(n * k));
        for (int i = 0; i < n; ++i) {
            labels[std::size_t(i)] = i % k;
            double sum = 0;
            for (int c = 0; c < k; ++c)
                sum += probs[std::size_t(i * k + c)] = u(rng) + (c == (i % 7 == 0 ? (i + 1) % k : i % k) ? 2.0 : 0.0);
            for (int c = 0; c < k; ++c)
                probs[std::size_t(i * k + c)] /= sum;
            labelCsv += QByteArray::number(labels[std::size_t(i)]) + '\n';
            for (int c = 0; c < k; ++c)
                probCsv += QByteArray::number(probs[std::size_t(i * k + c)], 'g', 17) + (c + 1 < k ? "," : "\n");
        }
        std::vector<int> l2;
        std::vector<double> p2;
        int rows = 0, cols = 0;
        QString error;
        QVERIFY(readLabelsFile(write(QStringLiteral("fl.csv"), labelCsv), &l2, &error));
        QVERIFY(readPredProbsFile(write(QStringLiteral("fp.csv"), probCsv), &p2, &rows, &cols, &error));
        QCOMPARE(rows, n);
        QCOMPARE(cols, k);
        const LabelIssuesResult fromCsv = findLabelIssues(l2, p2, k);
        const LabelIssuesResult direct = findLabelIssues(labels, probs, k);
        QVERIFY(fromCsv.ok());
        QCOMPARE(fromCsv.indices, direct.indices);
        // The planted flips (every 7th sample predicted as the next class) are found.
        int planted = 0;
        for (int64_t i : direct.indices)
            planted += i % 7 == 0;
        QVERIFY2(planted >= 0.8 * (n / 7), qPrintable(QString::number(planted)));
    }
};

QTEST_GUILESS_MAIN(TestLabelIssuesIo)
#include "tst_labelissuesio.moc"
