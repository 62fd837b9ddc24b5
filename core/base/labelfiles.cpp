#include "labelfiles.h"

#include "npy.h"

#include <QFile>
#include <QTextStream>

#include <cmath>
#include <limits>

namespace labelscope {

namespace {

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

bool isNpy(const QString &path)
{
    return path.endsWith(QLatin1String(".npy"), Qt::CaseInsensitive);
}

// Reads a CSV of numbers: rows of fields. A first line whose first field is not a number is a header.
bool readNumberCsv(const QString &path, std::vector<std::vector<double>> *rows, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        return fail(error, QStringLiteral("%1: cannot open: %2").arg(path, f.errorString()));
    QTextStream in(&f);
    qint64 lineNo = 0;
    while (!in.atEnd()) {
        const QString line = in.readLine().trimmed();
        ++lineNo;
        if (line.isEmpty())
            continue;
        const QStringList fields = line.split(QLatin1Char(','));
        std::vector<double> row;
        row.reserve(std::size_t(fields.size()));
        for (int c = 0; c < fields.size(); ++c) {
            bool ok = false;
            const double v = fields[c].trimmed().toDouble(&ok);
            if (!ok) {
                if (rows->empty() && lineNo == 1 && c == 0)
                    break; // header
                return fail(error, QStringLiteral("%1:%2: field %3 is not a number: '%4'")
                                       .arg(path).arg(lineNo).arg(c + 1).arg(fields[c].trimmed().left(40)));
            }
            row.push_back(v);
        }
        if (row.empty())
            continue;
        rows->push_back(std::move(row));
    }
    if (rows->empty())
        return fail(error, QStringLiteral("%1: no data rows").arg(path));
    return true;
}

} // namespace

bool readLabelsFile(const QString &path, std::vector<int> *labels, QString *error)
{
    labels->clear();
    if (isNpy(path)) {
        NpyArray a;
        if (!readNpy(path, &a, error))
            return false;
        if (!a.isInteger())
            return fail(error, QStringLiteral("%1: labels must be an integer array, not dtype %2").arg(path, a.descr));
        if (a.shape.empty() || a.shape.size() > 2 || (a.shape.size() == 2 && a.shape[1] != 1))
            return fail(error, QStringLiteral("%1: labels must have shape [N], not %2 dimensions").arg(path).arg(a.shape.size()));
        labels->reserve(a.ints.size());
        for (std::size_t i = 0; i < a.ints.size(); ++i) {
            if (a.ints[i] < 0 || a.ints[i] > 1000000)
                return fail(error, QStringLiteral("%1: label %2 at index %3 is out of range").arg(path).arg(a.ints[i]).arg(i));
            labels->push_back(int(a.ints[i]));
        }
        return true;
    }
    std::vector<std::vector<double>> rows;
    if (!readNumberCsv(path, &rows, error))
        return false;
    labels->reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double v = rows[i][0];
        if (v != std::floor(v) || v < 0 || v > 1000000)
            return fail(error, QStringLiteral("%1: row %2: label %3 is not a class index >= 0").arg(path).arg(i + 1).arg(v));
        labels->push_back(int(v));
    }
    return true;
}

bool readPredProbsFile(const QString &path, std::vector<double> *probs, int *rows, int *columns,
                       QString *error)
{
    probs->clear();
    *rows = *columns = 0;
    if (isNpy(path)) {
        NpyArray a;
        if (!readNpy(path, &a, error))
            return false;
        if (a.isInteger())
            return fail(error, QStringLiteral("%1: pred_probs must be float32 or float64, not an integer array").arg(path));
        if (a.shape.size() != 2)
            return fail(error, QStringLiteral("%1: pred_probs must have shape [N, K], not %2 dimensions").arg(path).arg(a.shape.size()));
        // An empty array may declare any shape ([2147483648, 0]): rows and columns are ints.
        if (a.shape[0] > std::numeric_limits<int>::max() || a.shape[1] > std::numeric_limits<int>::max())
            return fail(error, QStringLiteral("%1: pred_probs shape [%2, %3] is too large").arg(path).arg(a.shape[0]).arg(a.shape[1]));
        *rows = int(a.shape[0]);
        *columns = int(a.shape[1]);
        *probs = std::move(a.doubles);
    } else {
        std::vector<std::vector<double>> data;
        if (!readNumberCsv(path, &data, error))
            return false;
        const std::size_t k = data[0].size();
        probs->reserve(data.size() * k);
        for (std::size_t i = 0; i < data.size(); ++i) {
            if (data[i].size() != k)
                return fail(error, QStringLiteral("%1: row %2 has %3 columns, the first row %4").arg(path).arg(i + 1).arg(data[i].size()).arg(k));
            probs->insert(probs->end(), data[i].begin(), data[i].end());
        }
        *rows = int(data.size());
        *columns = int(k);
    }
    for (std::size_t i = 0; i < probs->size(); ++i) {
        const double v = (*probs)[i];
        if (!(v >= 0.0 && v <= 1.0))
            return fail(error, QStringLiteral("%1: pred_probs[%2, %3] = %4 is not a probability in [0, 1]")
                                   .arg(path).arg(i / std::size_t(*columns)).arg(i % std::size_t(*columns)).arg(v));
    }
    return true;
}

} // namespace labelscope
