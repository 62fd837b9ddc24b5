#pragma once
// Image-property checks (issue 16): dark, light, blurry, low_information, odd_aspect_ratio,
// odd_size, grayscale, measured with OpenCV on each sample's original decoded pixels
// (loadSampleImage). Each is defined beside CleanVision's (cleanlab/cleanvision,
// src/cleanvision/issue_managers/image_property.py and image_property_issue_manager.py, default
// parameters). Scores lie in [0, 1], lower = worse; a sample is flagged when its score is below
// the threshold. "Brightness" of a pixel is v/255 for grey and CleanVision's
// sqrt(0.241 R² + 0.691 G² + 0.068 B²)/255 for colour; "grey" is OpenCV's RGB→grey (BT.601).
//
// dark            score = 99th percentile of pixel brightness; flag < 0.32. As CleanVision.
// light           score = 1 − 5th percentile of pixel brightness; flag < 0.05. As CleanVision.
// low_information score = min(1, H / max(1, median H)), H = Shannon entropy (bits) of the
//                 256-bin grey histogram; flag < 0.3. CleanVision: min(1, 0.1·H) (PIL's entropy,
//                 over the 768-bin band histogram for colour), flag < 0.3, i.e. H < 3 bits: a
//                 fixed normaliser made for photos (~7 bits). A 28×28 garment on black has ~4.2
//                 bits, and the fixed rule flags 9,266 of Fashion-MNIST's 60,000 images; relative
//                 to the dataset's median it flags the nearly blank ones (H < 0.3 × median).
// blurry          sharpness s = std(L) / std(g): g the grey image reduced (INTER_AREA) so its
//                 longer side is at most 64 px (CleanVision's MAX_RESOLUTION_FOR_BLURRY_DETECTION),
//                 L its 3×3 8-neighbour Laplacian (PIL's FIND_EDGES kernel, not clipped);
//                 score = min(1, s / median s); flag < 0.5. An image with no contrast
//                 (std(g) < 1 grey level) scores 1 here: it is low_information, not blurry.
//                 CleanVision: 1 − exp(−0.01·std(FIND_EDGES)) plus a histogram-spread term,
//                 flag < 0.29; on Fashion-MNIST it flags none of 60,000 images and separates a
//                 σ = 1 px Gaussian blur from the originals with AUROC .978 (s: 1.000). Dividing
//                 by std(g) makes s contrast-invariant (a darkened image is not blurry); the
//                 median makes it relative to the dataset's resolution and content.
// odd_aspect_ratio score = min(w/h, h/w); flag < 0.35. As CleanVision.
// odd_size        a = sqrt(w·h); with Q1, Q3 of a over the dataset and IQR = Q3 − Q1,
//                 lo = Q1 − 3·IQR, hi = Q3 + 3·IQR, mid = (lo + hi)/2: score =
//                 1 − clip(|a − mid| / (hi − lo), 0, 1), flag < 0.5 (a outside [lo, hi]); when
//                 every size is the same (hi = lo) score = 1 − clip(|a − mid| / mid) and flag < 1
//                 (any other size). As CleanVision's SizeProperty.
// grayscale       c = mean over pixels of |R − G| + |G − B| (0 for one channel; the statistics
//                 page's colour measure); score = min(1, c / 4); flag < 0.25 (c < 1 grey level),
//                 but only when fewer than half of the dataset's images are grey: in a grey
//                 dataset (Fashion-MNIST, X-rays) a grey image is the norm, not an issue.
//                 CleanVision flags every image whose PIL mode is "L".
//
// Decoding (core/base/imagedecode.cpp) has already reduced 16-bit images to 8 bits, dropped
// alpha (RGBA → RGB, grey+alpha → grey) and refused headers claiming more than
// LoadOptions::maxPixels; a 1×1 image is measured (its sharpness is undefined: score 1).

#include "base/dataset.h"
#include "health/healthreport.h"

#include <cstdint>
#include <vector>

namespace labelscope {

/// The raw measurements of one image, before the dataset-relative scoring.
struct ImageMeasures {
    int width = 0, height = 0, channels = 0;
    float brightnessP99 = 0.0f; ///< 99th percentile of pixel brightness, [0, 1]
    float brightnessP5 = 0.0f;  ///< 5th percentile of pixel brightness, [0, 1]
    float entropy = 0.0f;       ///< bits, [0, 8]
    float sharpness = -1.0f;    ///< std(Laplacian)/std(grey) at <= 64 px; < 0 when undefined (flat)
    float contrast = 0.0f;      ///< std of the grey levels at <= 64 px, 0–255
    float chroma = 0.0f;        ///< mean |R − G| + |G − B|, grey levels; 0 for one channel
};

struct ImagePropertyOptions {
    double darkThreshold = 0.32;
    double lightThreshold = 0.05;
    double lowInformationThreshold = 0.3;
    double blurryThreshold = 0.5;
    double oddAspectRatioThreshold = 0.35;
    double oddSizeIqrFactor = 3.0;
    double grayscaleThreshold = 0.25;
    double grayscaleMaxShare = 0.5; ///< grayscale is flagged only while the grey share is below this
};

/// Measures IMAGE (HWC uint8, 1 or 3 channels, RGB order, as decoded by core). False (and no
/// measures) for an empty image, a channel count other than 1 or 3, or a pixel buffer of the
/// wrong size. Never throws.
bool measureImage(const DecodedImage &image, ImageMeasures *out);

/// Scores the seven image-property issue types of REPORT (columns [N], N = MEASURES.size())
/// from every sample's measures; samples with MEASURED[i] == 0 keep score 1, flag 0 and take no
/// part in the dataset-relative statistics, which are written to REPORT->statistics.
void scoreImageProperties(const std::vector<ImageMeasures> &measures, const std::vector<std::uint8_t> &measured,
                          const ImagePropertyOptions &options, HealthReport *report);

} // namespace labelscope
