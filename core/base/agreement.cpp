#include "agreement.h"

#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace labelscope {

AgreementReport annotatorAgreement(const std::vector<LabelEvent> &events, int numClasses)
{
    struct SampleState {
        int given = -1;
        std::map<QString, int> latest;       // annotator → outcome, every decision (kappa)
        std::map<QString, int> sinceRuling;  // the conflict queue's view
    };
    std::map<qint64, SampleState> samples;
    auto outcome = [numClasses](const LabelEvent &e) { return e.newExcluded ? numClasses : e.newLabel; };
    auto inConflict = [](const std::map<QString, int> &m) {
        std::set<int> distinct;
        for (const auto &[who, o] : m)
            distinct.insert(o);
        return distinct.size() > 1;
    };
    for (const LabelEvent &e : events) {
        SampleState &s = samples[e.sampleId];
        if (e.reason == QLatin1String("import")) {
            s.given = e.newLabel;
            continue;
        }
        const int o = outcome(e);
        s.latest[e.annotator] = o;
        if (inConflict(s.sinceRuling) && !s.sinceRuling.count(e.annotator))
            s.sinceRuling = {{e.annotator, o}}; // a ruling by someone outside the disagreement
        else
            s.sinceRuling[e.annotator] = o;
    }

    AgreementReport report;
    struct PairCounts {
        int samples = 0, agreed = 0;
        std::map<int, int> a, b; // category counts of each annotator over the shared samples
    };
    std::map<std::pair<QString, QString>, PairCounts> pairs;
    std::map<int, ClassAgreement> classes;
    for (const auto &[id, s] : samples) {
        if (inConflict(s.sinceRuling))
            report.conflicts.push_back(id);
        if (s.latest.size() < 2)
            continue;
        ++report.doublyReviewed;
        ClassAgreement &c = classes[s.given];
        c.classId = s.given;
        ++c.samples;
        c.agreed += inConflict(s.latest) ? 0 : 1;
        for (auto i = s.latest.begin(); i != s.latest.end(); ++i) {
            for (auto j = std::next(i); j != s.latest.end(); ++j) {
                PairCounts &p = pairs[{i->first, j->first}];
                ++p.samples;
                p.agreed += i->second == j->second ? 1 : 0;
                ++p.a[i->second];
                ++p.b[j->second];
            }
        }
    }
    for (const auto &[names, p] : pairs) {
        AnnotatorPairAgreement r;
        r.a = names.first;
        r.b = names.second;
        r.samples = p.samples;
        r.agreed = p.agreed;
        r.agreement = double(p.agreed) / double(p.samples);
        double pe = 0.0;
        for (const auto &[category, n] : p.a) {
            const auto other = p.b.find(category);
            if (other != p.b.end())
                pe += (double(n) / p.samples) * (double(other->second) / p.samples);
        }
        r.kappa = pe >= 1.0 ? std::numeric_limits<double>::quiet_NaN() : (r.agreement - pe) / (1.0 - pe);
        report.pairs.push_back(r);
    }
    for (const auto &[id, c] : classes)
        report.classes.push_back(c);
    return report;
}

} // namespace labelscope
