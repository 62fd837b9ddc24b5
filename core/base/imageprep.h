#pragma once
// One sample's image prepared for a backbone (core/ml/backbone.h): decoded from its file (or
// its IDX record) at its native resolution (a large JPEG reduced by libjpeg no further than the
// resize needs: decodeImageFile's minSide) and brought to the backbone's square input size,
// independent of the project's 32-px training table. Torch-free; thread-safe (OpenCV and the
// IDX cache of loadSampleImage are).

#include "dataset.h"

#include <QString>

#include <cstdint>

namespace labelscope {

struct ImagePrep {
    int side = 32;          ///< output H = W
    int channels = 1;       ///< 1 (grey) or 3 (RGB)
    /// false: stretch both sides to `side` (what readImageFolder does for training);
    /// true: scale the shorter side to resizeSize, then cut out the central side × side.
    bool centerCrop = false;
    int resizeSize = 0;     ///< for centerCrop, >= side
};

/// Decodes SAMPLE's image and writes it as uint8 CHW [channels, side, side] to OUT (which must
/// hold channels·side² bytes). Resampling: OpenCV INTER_AREA when shrinking, INTER_LINEAR
/// otherwise. A grey image given to 3 channels is replicated; a colour image given to 1 channel
/// is refused unless its three channels are equal. False with *error (naming the file) otherwise.
bool prepareSampleImage(const Sample &sample, const ImagePrep &prep, std::uint8_t *out, QString *error);

} // namespace labelscope
