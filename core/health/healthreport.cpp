#include "healthreport.h"

#include <QJsonArray>

#include <algorithm>
#include <numeric>

namespace labelscope {

namespace {

bool isTest(const Sample &sample)
{
    return sample.split == QLatin1String("test");
}

QJsonArray setsJson(const std::vector<DuplicateSet> &sets, int top)
{
    QJsonArray out;
    for (std::size_t s = 0; s < sets.size() && int(s) < top; ++s) {
        QJsonArray members;
        for (const int m : sets[s].members)
            members.append(m);
        out.append(QJsonObject{{QStringLiteral("members"), members}, {QStringLiteral("leaks"), sets[s].leaks}});
    }
    return out;
}

QJsonObject setSummary(const std::vector<DuplicateSet> &sets, int top)
{
    qint64 samples = 0, leaking = 0;
    for (const DuplicateSet &s : sets) {
        samples += qint64(s.members.size());
        leaking += s.leaks ? 1 : 0;
    }
    return {{QStringLiteral("count"), qint64(sets.size())},
            {QStringLiteral("samples"), samples},
            {QStringLiteral("leaking"), leaking},
            {QStringLiteral("top"), setsJson(sets, top)}};
}

} // namespace

void IssueColumn::reset(std::size_t n, double newThreshold)
{
    computed = true;
    threshold = newThreshold;
    score.assign(n, 1.0f);
    flag.assign(n, 0);
}

std::int64_t IssueColumn::flagged() const
{
    return std::int64_t(std::count(flag.begin(), flag.end(), std::uint8_t(1)));
}

void markLeakage(const std::vector<Sample> &samples, HealthReport *report)
{
    IssueColumn &column = report->column(IssueType::Leakage);
    column.reset(samples.size(), 0.5);
    for (std::vector<DuplicateSet> *sets : {&report->exactSets, &report->nearSets}) {
        for (DuplicateSet &set : *sets) {
            bool test = false, train = false;
            for (const int m : set.members) {
                if (m < 0 || std::size_t(m) >= samples.size())
                    continue;
                (isTest(samples[std::size_t(m)]) ? test : train) = true;
            }
            set.leaks = test && train;
            if (!set.leaks)
                continue;
            for (const int m : set.members)
                if (m >= 0 && std::size_t(m) < samples.size()) {
                    column.score[std::size_t(m)] = 0.0f;
                    column.flag[std::size_t(m)] = 1;
                }
        }
    }
}

void computeClassBalance(const std::vector<Sample> &samples, const QStringList &classes, double threshold,
                         HealthReport *report)
{
    const int k = int(classes.size());
    report->classes.assign(std::size_t(k), {});
    report->statistics.imbalanceThreshold = threshold;
    std::int64_t labelled = 0;
    for (const Sample &s : samples) {
        if (s.label < 0 || s.label >= k)
            continue;
        ClassBalance &c = report->classes[std::size_t(s.label)];
        ++c.count;
        ++(isTest(s) ? c.test : c.train);
        ++labelled;
    }
    std::int64_t largest = 0;
    for (int i = 0; i < k; ++i) {
        report->classes[std::size_t(i)].name = classes[i];
        largest = std::max(largest, report->classes[std::size_t(i)].count);
    }
    for (ClassBalance &c : report->classes) {
        c.share = labelled ? double(c.count) / double(labelled) : 0.0;
        c.ratioToLargest = largest ? double(c.count) / double(largest) : 0.0;
        c.score = std::min(1.0, c.share * k);
        c.flagged = labelled > 0 && c.share < threshold / k;
    }
    IssueColumn &column = report->column(IssueType::ClassImbalance);
    column.reset(samples.size(), threshold);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const int label = samples[i].label;
        if (label < 0 || label >= k)
            continue;
        const ClassBalance &c = report->classes[std::size_t(label)];
        column.score[i] = float(c.score);
        column.flag[i] = c.flagged ? 1 : 0;
    }
}

QJsonObject HealthReport::toJson(int topExamples, const std::vector<Sample> *sampleList) const
{
    const int top = std::max(0, topExamples);
    QJsonObject issues;
    for (int t = 0; t < kIssueTypeCount; ++t) {
        const IssueColumn &c = columns[std::size_t(t)];
        if (!c.computed)
            continue;
        std::vector<int> flagged;
        for (std::size_t i = 0; i < c.flag.size(); ++i)
            if (c.flag[i])
                flagged.push_back(int(i));
        std::stable_sort(flagged.begin(), flagged.end(),
                         [&](int a, int b) { return c.score[std::size_t(a)] < c.score[std::size_t(b)]; });
        QJsonArray examples;
        for (std::size_t e = 0; e < flagged.size() && int(e) < top; ++e) {
            const int i = flagged[e];
            QJsonObject ex{{QStringLiteral("index"), i}, {QStringLiteral("score"), double(c.score[std::size_t(i)])}};
            if (sampleList && std::size_t(i) < sampleList->size()) {
                const Sample &sample = (*sampleList)[std::size_t(i)];
                // A file's path; an IDX image's file#index (sampleKey without the files' "#-1").
                ex.insert(QStringLiteral("key"), sample.offset >= 0 ? sampleKey(sample) : sample.path);
                ex.insert(QStringLiteral("label"), (*sampleList)[std::size_t(i)].label);
            }
            examples.append(ex);
        }
        issues.insert(enumName(kIssueTypeNames, IssueType(t)),
                      QJsonObject{{QStringLiteral("flagged"), qint64(flagged.size())},
                                  {QStringLiteral("threshold"), c.threshold},
                                  {QStringLiteral("top"), examples}});
    }

    QJsonArray perClass;
    for (std::size_t k = 0; k < classes.size(); ++k) {
        const ClassBalance &b = classes[k];
        QJsonObject flaggedByType;
        for (int t = 0; t < kIssueTypeCount; ++t) {
            const IssueColumn &c = columns[std::size_t(t)];
            if (!c.computed)
                continue;
            qint64 count = 0;
            for (std::size_t i = 0; i < c.flag.size() && i < labels.size(); ++i)
                count += c.flag[i] && labels[i] == int(k) ? 1 : 0;
            flaggedByType.insert(enumName(kIssueTypeNames, IssueType(t)), count);
        }
        perClass.append(QJsonObject{{QStringLiteral("name"), b.name},
                                    {QStringLiteral("count"), qint64(b.count)},
                                    {QStringLiteral("train"), qint64(b.train)},
                                    {QStringLiteral("test"), qint64(b.test)},
                                    {QStringLiteral("share"), b.share},
                                    {QStringLiteral("ratio_to_largest"), b.ratioToLargest},
                                    {QStringLiteral("class_imbalance"), b.flagged},
                                    {QStringLiteral("flagged"), flaggedByType}});
    }

    QJsonArray skippedJson;
    for (std::size_t s = 0; s < skipped.size() && int(s) < std::max(top, 20); ++s) {
        QJsonObject item = skipped[s].item.toJson();
        item.insert(QStringLiteral("index"), skipped[s].sample);
        skippedJson.append(item);
    }
    const HealthStatistics &st = statistics;
    const QJsonObject stats{{QStringLiteral("median_sharpness"), st.medianSharpness},
                            {QStringLiteral("median_entropy"), st.medianEntropy},
                            {QStringLiteral("odd_size_range"), QJsonArray{st.sizeLow, st.sizeHigh}},
                            {QStringLiteral("grayscale_share"), st.grayscaleShare},
                            {QStringLiteral("near_median_distance"), st.nearMedianDistance},
                            {QStringLiteral("near_candidate_distance"), st.nearCandidateDistance},
                            {QStringLiteral("near_candidate_pairs"), qint64(st.nearCandidatePairs)},
                            {QStringLiteral("near_hash_passed"), qint64(st.nearHashPassed)},
                            {QStringLiteral("near_confirmed_pairs"), qint64(st.nearConfirmedPairs)},
                            {QStringLiteral("outlier_scale"), st.outlierScale},
                            {QStringLiteral("outlier_threshold"), st.outlierThreshold},
                            {QStringLiteral("outlier_within_class"), st.outlierWithinClass},
                            {QStringLiteral("imbalance_threshold"), st.imbalanceThreshold}};
    return {{QStringLiteral("samples"), qint64(samples)},
            {QStringLiteral("measured"), qint64(std::count(measured.begin(), measured.end(), std::uint8_t(1)))},
            {QStringLiteral("skipped_count"), qint64(skipped.size())},
            {QStringLiteral("skipped"), skippedJson},
            {QStringLiteral("seconds"), seconds},
            {QStringLiteral("issues"), issues},
            {QStringLiteral("per_class"), perClass},
            {QStringLiteral("exact_duplicate_sets"), setSummary(exactSets, top)},
            {QStringLiteral("near_duplicate_sets"), setSummary(nearSets, top)},
            {QStringLiteral("statistics"), stats}};
}

} // namespace labelscope
