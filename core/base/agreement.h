#pragma once
// Agreement between annotators and the conflict queue of a second review (issue 18), computed
// from the project's append-only label log alone (no table of its own).
//
// An annotator's outcome on a sample is the state its latest decision there left: the label, or
// "excluded" (category K of K + 1). Every decision counts (relabel, accept, exclude, and the
// undo/redo that moved the sample: an undo by the same annotator replaces its earlier outcome).
//
// Conflict queue: a sample is in conflict while two annotators' latest outcomes differ. A
// decision on a sample in conflict by an annotator who is not one of those who disagree is a
// ruling: it resolves the conflict (the sample then starts over with that ruling as its only
// outcome).
//
// Cohen's kappa for each pair of annotators over the samples both decided,
// κ = (p_o − p_e) / (1 − p_e), p_o the observed agreement, p_e = Σ_c p_a(c) · p_b(c) the
// agreement expected from each annotator's own category frequencies (Cohen 1960). κ is NaN
// when p_e = 1 (both always chose the same single category). Per class: the agreement rate over
// the samples of each given class (the label at import) that two or more annotators decided.

#include "projectstore.h"

#include <QString>

#include <vector>

namespace labelscope {

struct AnnotatorPairAgreement {
    QString a, b;           ///< a < b
    int samples = 0;        ///< decided by both
    int agreed = 0;
    double agreement = 0.0; ///< agreed / samples
    double kappa = 0.0;     ///< Cohen's kappa; NaN when undefined
};

struct ClassAgreement {
    int classId = -1;       ///< the given label at import (-1: unlabelled)
    int samples = 0;        ///< decided by two or more annotators
    int agreed = 0;         ///< all of their outcomes equal
};

struct AgreementReport {
    std::vector<AnnotatorPairAgreement> pairs; ///< ordered by (a, b)
    std::vector<ClassAgreement> classes;       ///< ordered by class id
    std::vector<qint64> conflicts;             ///< samples in conflict now, by id
    int doublyReviewed = 0;                    ///< samples with outcomes of two or more annotators
};

/// The report over EVENTS (ProjectStore::events(), oldest first; import events give each
/// sample's given label). NUMCLASSES = K (outcome categories 0..K-1 and K = excluded).
AgreementReport annotatorAgreement(const std::vector<LabelEvent> &events, int numClasses);

} // namespace labelscope
