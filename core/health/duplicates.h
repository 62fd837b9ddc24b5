#pragma once
// Exact and near duplicates (issue 16).
//
// Exact duplicates: a Blake2b-160 hash (QCryptographicHash) of the decoded pixels with their
// width, height and channel count; an RGB image whose three channels are equal everywhere is
// hashed as grey, so the same picture saved grey and as RGB is one set. Equal pixels and size ⇒
// equal hash ⇒ same set (a collision of different pixels is not checked for: 2^-80). A large
// JPEG decoded reduced (HealthOptions::decodeMinSide) is hashed with its own size: two files of
// the same JPEG data match; a JPEG whose size is also another file's is decoded whole again
// (healthchecks.cpp), so that it matches a PNG of the same pixels. Score
// 1/|set| for members (CleanVision), 1 otherwise; flag = member of a set of two or more.
//
// Near duplicates: a shifted, noisy or re-encoded copy of another sample.
//  1. Candidates: the k = 10 nearest neighbours by cosine distance (knn.h) in an embedding:
//     by default the thumbnail — the grey image reduced so its longer side is at most 64 px,
//     resized to 32×32 and translated so the centroid of its foreground (|g − b| − 16 grey
//     levels, b = the border's median) lies at the centre, then 16×16, zero mean, unit norm —
//     or any [N, D] embedding (the analysis', a backbone's). A pair is a candidate when its
//     distance is below candidateFactor × the median distance to the nearest neighbour (Datalab's
//     rule, cleanlab datalab/internal/issue_manager/duplicate.py, uses factor 0.13 as its whole
//     test; here the confirmation below decides and the factor only bounds the work).
//  2. Confirmation by a perceptual hash: the 64-bit DCT pHash of OpenCV's img_hash module
//     (opencv_contrib, in Debian's libopencv-contrib-dev; cv::img_hash::pHash: 32×32, DCT, the
//     8×8 lowest frequencies against their median) of the centred 32×32 image, within Hamming
//     radius hammingRadius = 14: loose, because pHash is not shift-invariant (a 64 px picture
//     cut 3 px further right differs in 13 bits) and the residual below decides; on
//     Fashion-MNIST radius 14 flags the same 304 images as 10 and recovers more shifted copies.
//  3. Confirmation by an aligned residual: on the comparison images (grey, longer side <= 64 px,
//     native pixels for small images; a pair of different sizes compares the larger resized to
//     the smaller), the whole-pixel shift within ±s, s = max(maxShift = 2 px, 5% of the longer
//     side), whose overlaps correlate best aligns the pair (coarse to fine: at half size, then
//     ±1 px at full size; every shift for images under 16 px). Confirmed when that correlation is at least
//     minCorrelation = 0.9 and the residual at most maxResidual = 32 grey levels: each overlap
//     fitted to the other by gain and offset (least squares), |target − fit| averaged over 3×3
//     windows, the largest window mean of the two directions (so a dark copy of a bright image
//     is measured in the bright one's grey levels). Fashion-MNIST's look-alike garments (one
//     silhouette, another print) have close thumbnails and pHashes but differ by more than that
//     in some window; a copy shifted by 2 px, with Gaussian noise of σ 8 or re-encoded as JPEG at
//     quality 50 stays under it (tests/benchmarks/RESULTS.md, session 8). The residual is
//     exact for whole-pixel shifts of same-size images; a resized or sub-pixel copy adds
//     interpolation error at sharp edges.
//  4. Confirmation by colour balance, for two colour images: steps 1–3 see grey levels only,
//     and a gain and offset absorb any difference of brightness, so pictures of the same layout
//     in other colours (a red and a blue product on one background, classes that differ by hue)
//     passed them. The L1 distance between the mean chromaticities (R̄, Ḡ, B̄ over R̄+Ḡ+B̄; all
//     three, so that a shift between blue and red counts as much as one between red and green)
//     must be at most maxChromaticityDistance = 0.05. Copies keep their colour balance: on 400
//     colour photos of tests/benchmarks/shapes_folder.cpp at 64 px the distance of a copy cropped
//     by 5% a side was at most .035, of a JPEG at quality 50 .015, of a half-size copy .006, with
//     noise σ 8 .005, darkened by a gain of .6 .002 (tests/benchmarks/chroma_copies.cpp;
//     RESULTS.md, sessions 19 and 20). A small object hardly moves the whole image's mean (three
//     blue bars and three brown ones on two greyish backgrounds were .03 apart), so the same
//     distance between the foregrounds' chromaticities — the mean colour of the pixels more than
//     3 × 16 levels (L1 over R, G, B) from the border's median colour, each weighted by that
//     excess; the whole image's when there are none; on the ≤ 64 px comparison image — must be
//     at most maxForegroundChromaticityDistance = 0.25. Copies moved it by at most .156 (JPEG 50
//     of small coloured shapes: the 2×2 chroma subsampling mixes them with the background) on
//     shapes_folder photos and .151 (a crop of 5%) on smooth random colour pictures; the colour
//     pairs that steps 1–3 confirmed across a train and a val folder of shapes_folder photos
//     were either under .09 (the same hue) or over .46 (RESULTS.md, session 21). A pair with a
//     grey image is not tested (a grey copy of a colour picture stays a near duplicate, as in
//     CleanVision).
// Confirmed pairs are joined into sets by union-find (transitive), the pairs of smallest residual
// first, but two sets are joined only when every two colour images of the result pass step 4: a
// grey image that matches a green and a red picture of one layout joins the closer one, and the
// green and the red never share a set. Exact duplicates take part as
// one image (the set's smallest index) and every copy is listed in the near set; a group of
// identical images alone is an exact set only. Images without contrast (grey std < 1 level) take
// no part. Score: 1 − exp(−d / m) with d the distance to the nearest neighbour and m the median
// of d (Datalab's near_duplicate score); flag = member of a near set.

#include "base/result.h"
#include "health/healthreport.h"
#include "health/knn.h"
#include "jobs/job.h"

#include <array>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace labelscope {

inline constexpr int kThumbnailSide = 16;
inline constexpr int kThumbnailDim = kThumbnailSide * kThumbnailSide;

/// What the duplicate checks keep of one image (about 1–4 KB).
struct ImageFingerprint {
    std::array<std::uint8_t, 20> pixelHash{}; ///< Blake2b-160 of size + canonical pixels
    std::uint64_t perceptualHash = 0;         ///< img_hash pHash of the centred 32×32 grey image
    bool flat = false;                        ///< grey std < 1 level: no near-duplicate search
    int compareWidth = 0, compareHeight = 0;
    std::vector<std::uint8_t> compare;        ///< grey [compareHeight, compareWidth], longer side <= 64
    bool colour = false;                      ///< RGB whose channels differ somewhere (not grey)
    float chromaR = 1.0f / 3.0f, chromaG = 1.0f / 3.0f; ///< mean chromaticity R̄/(R̄+Ḡ+B̄), Ḡ/(…)
    /// Foreground chromaticity: the same, of the pixels unlike the border (see step 4).
    float foregroundR = 1.0f / 3.0f, foregroundG = 1.0f / 3.0f;
};

/// Step 4's distance: |ΔR̄/Σ| + |ΔḠ/Σ| + |ΔB̄/Σ| between two fingerprints' mean chromaticities
/// (0 to 2); 0 when either is grey (a grey copy of a colour picture is left to steps 1–3).
double chromaticityDistance(const ImageFingerprint &a, const ImageFingerprint &b);
/// The same distance between the two foreground chromaticities (0 to 2; 0 when either is grey).
double foregroundChromaticityDistance(const ImageFingerprint &a, const ImageFingerprint &b);

/// Computes IMAGE's fingerprint and its thumbnail embedding (THUMBNAIL: float [kThumbnailDim],
/// zero mean and unit norm, all zeros when flat). IMAGE is HWC uint8 with 1 or 3 channels (RGB).
/// False for an invalid image or an OpenCV failure; never throws.
bool fingerprintImage(const DecodedImage &image, ImageFingerprint *fingerprint, float *thumbnail);

/// Bits that differ between two 64-bit hashes.
int hammingDistance(std::uint64_t a, std::uint64_t b);

/// The aligned residual of step 3 (grey levels; 255 when the images cannot be compared — an
/// overlap of fewer than 4 pixels — or when the best correlation is below MINCORRELATION).
double alignedResidual(const ImageFingerprint &a, const ImageFingerprint &b, int maxShift, double minCorrelation = -1.0);

/// Connected components of the graph on N nodes with edges PAIRS, as sets of >= 2 nodes:
/// members ascending, sets ordered by their smallest member (deterministic for any edge order).
/// With COMPATIBLE, the edges are taken in their order and an edge that would put two nodes x, y
/// with compatible(x, y) false into one set is passed over (then the order matters); each such
/// test costs |A|·|B| calls for the two sets A and B it would join.
std::vector<std::vector<int>> connectedSets(int n, const std::vector<std::pair<int, int>> &pairs,
                                           const std::function<bool(int, int)> &compatible = nullptr);

/// Exact-duplicate sets among the samples with MEASURED[i] != 0 (FINGERPRINTS [N]).
std::vector<DuplicateSet> exactDuplicateSets(const std::vector<ImageFingerprint> &fingerprints,
                                             const std::vector<std::uint8_t> &measured);

struct NearDuplicateOptions {
    int k = 10;
    double candidateFactor = 8.0;
    int hammingRadius = 14;
    double maxResidual = 32.0;
    double minCorrelation = 0.9;
    int maxShift = 2;
    double maxChromaticityDistance = 0.05;
    double maxForegroundChromaticityDistance = 0.25;
    int threads = 0; ///< confirmation workers; 0 = QThread::idealThreadCount()
    KnnOptions knn;
};

struct NearDuplicateResult {
    std::vector<DuplicateSet> sets;
    std::vector<float> score;        ///< [N] Datalab's near-duplicate score (1 where not searched)
    double medianDistance = 0.0, candidateDistance = 0.0;
    std::int64_t candidatePairs = 0, hashPassed = 0, confirmedPairs = 0;
    double searchSeconds = 0.0, confirmSeconds = 0.0; ///< wall time of the kNN search and of the confirmation
};

/// Near-duplicate sets (see above). EMBEDDING is [N, D] (the thumbnails or any embedding),
/// FINGERPRINTS [N]; ELIGIBLE[i] != 0 for samples that take part (measured, not flat);
/// EXACTSETS are the exact sets among them (their copies are searched once). Stage progress and
/// cancellation through CONTEXT. Fails on a size mismatch or a kNN failure.
Result<NearDuplicateResult> findNearDuplicates(const EmbeddingView &embedding,
                                               const std::vector<ImageFingerprint> &fingerprints,
                                               const std::vector<std::uint8_t> &eligible,
                                               const std::vector<DuplicateSet> &exactSets,
                                               const NearDuplicateOptions &options, JobContext &context);

} // namespace labelscope
