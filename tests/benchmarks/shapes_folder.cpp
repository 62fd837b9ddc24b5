// A colour ImageFolder of the kind real users bring, for exploratory runs of the whole pipeline
// (RESULTS.md "Session 19"): 30 classes (6 shapes x 5 hues) of procedural photos-like images of
// random size (24-223 px a side, any aspect ratio) on noisy coloured backgrounds, saved as PNG,
// JPEG, BMP, PPM, WebP and TIFF (some grey, some RGBA, some 16-bit); label noise that flips a
// sample to a neighbouring hue of the same shape (look-alike classes) at 12%; one class of a
// single image; a folder name with a space and a non-ASCII letter; and hostile files: an empty
// JPEG, a text file named .png, a truncated JPEG, an empty class folder, stray non-image files.
// Writes ROOT.truth.csv: path (relative to ROOT), true class, given class.
//
// HUES (default 5) sets the number of classes, 6 x HUES: with 20 hues, 120 classes whose
// neighbouring hues are 9 OpenCV units apart (the many-classes case, RESULTS.md "Session 20").
//
// --photo writes camera-sized images instead (RESULTS.md "Session 22"): 1,200-4,032 px a side,
// JPEG at quality 90, as a phone saves them; every fifth one is stored on its side with an
// EXIF orientation tag (6: rotate 90 degrees clockwise to display), as a phone held upright
// does, so a reader that ignores the tag sees the shape turned (the bars lie down). Every
// seventh one is a HEIC instead (an iPhone's), stored on its side with a rotation (irot) box
// and a 320-px thumbnail item. (HEVC encoding is slow: about 6 minutes for 10 images a class.)
//
//   build/tests/shapes_folder ROOT [IMAGES_PER_CLASS=60] [SEED=7] [HUES=5] [--photo]
#include "heicwriter.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;

// A JPEG whose pixels are stored turned 90 degrees anticlockwise, with the EXIF orientation 6
// that tells a reader to turn them back: the SOI marker, then a minimal APP1 segment (a
// big-endian TIFF header and one IFD entry, tag 0x0112 SHORT = 6), then OpenCV's JPEG as written.
bool writeJpegOnItsSide(const fs::path &file, const cv::Mat &upright)
{
    cv::Mat stored;
    cv::rotate(upright, stored, cv::ROTATE_90_COUNTERCLOCKWISE);
    std::vector<std::uint8_t> jpeg;
    if (!cv::imencode(".jpg", stored, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90}) || jpeg.size() < 2)
        return false;
    const std::uint8_t app1[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
                                 'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,
                                 0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00};
    jpeg.insert(jpeg.begin() + 2, std::begin(app1), std::end(app1));
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char *>(jpeg.data()), std::streamsize(jpeg.size()));
    return bool(out);
}

int main(int argc, char **argv)
{
    bool photo = false;
    for (int a = 1; a < argc; ++a)
        if (std::strcmp(argv[a], "--photo") == 0) {
            photo = true;
            std::copy(argv + a + 1, argv + argc, argv + a);
            --argc;
            break;
        }
    if (argc < 2) {
        std::fprintf(stderr, "usage: shapes_folder ROOT [IMAGES_PER_CLASS=60] [SEED=7] [HUES=5] [--photo]\n");
        return 2;
    }
    const fs::path root = argv[1];
    const int perClass = argc > 2 ? std::atoi(argv[2]) : 60;
    std::mt19937 rng(argc > 3 ? unsigned(std::atoi(argv[3])) : 7u);
    std::uniform_real_distribution<double> u(0, 1);
    const int nHues = argc > 4 ? std::max(2, std::atoi(argv[4])) : 5;
    const int nClasses = 6 * nHues, singleton = nClasses - 1;
    const char *shapes[] = {"circle", "square", "triangle", "cross", "ring", "bars"};
    std::vector<int> hues{0, 30, 60, 100, 140}; // OpenCV hue, 0..180 (the 30-class folder of session 19)
    if (nHues != 5) {
        hues.clear();
        for (int h = 0; h < nHues; ++h)
            hues.push_back(h * 180 / nHues);
    }
    const int jitter = std::min(5, 180 / nHues / 3); // a class's hue varies by +-jitter
    const auto className = [&](int cls) {
        return cls == nHues + 2 ? std::string("squäre ") + std::to_string(hues[2]) + " sp" // a space and a non-ASCII letter
                                : std::string(shapes[cls / nHues]) + "_" + std::to_string(hues[cls % nHues]);
    };
    std::ofstream truth(root.string() + ".truth.csv");
    int written = 0;
    for (int cls = 0; cls < nClasses; ++cls) {
        const int s = cls / nHues, h = cls % nHues;
        for (int i = 0; i < (cls == singleton ? 1 : perClass); ++i) {
            const int w = photo ? 1200 + int(u(rng) * 2832) : 24 + int(u(rng) * 200);
            const int ht = photo ? 1200 + int(u(rng) * 2832) : 24 + int(u(rng) * 200);
            cv::Mat hsv(ht, w, CV_8UC3, cv::Scalar(int(u(rng) * 180), 30 + int(u(rng) * 40), 60 + int(u(rng) * 80)));
            cv::Mat img;
            cv::cvtColor(hsv, img, cv::COLOR_HSV2BGR);
            cv::Mat noise(ht, w, CV_8UC3);
            cv::randn(noise, 0, 12);
            img += noise;
            cv::Mat colour(1, 1, CV_8UC3, cv::Scalar((hues[h] + int(u(rng) * 2 * jitter - jitter) + 180) % 180, 200, 220));
            cv::cvtColor(colour, colour, cv::COLOR_HSV2BGR);
            const cv::Vec3b c3 = colour.at<cv::Vec3b>(0);
            const cv::Scalar c(c3[0], c3[1], c3[2]);
            const int m = std::min(w, ht), r = int(m * (0.2 + 0.15 * u(rng)));
            const cv::Point ctr(int(w * (0.35 + 0.3 * u(rng))), int(ht * (0.35 + 0.3 * u(rng))));
            switch (s) {
            case 0: cv::circle(img, ctr, r, c, -1); break;
            case 1: cv::rectangle(img, ctr - cv::Point(r, r), ctr + cv::Point(r, r), c, -1); break;
            case 2: {
                const std::vector<cv::Point> p{ctr + cv::Point(0, -r), ctr + cv::Point(r, r), ctr + cv::Point(-r, r)};
                cv::fillConvexPoly(img, p, c);
            } break;
            case 3:
                cv::line(img, ctr - cv::Point(r, r), ctr + cv::Point(r, r), c, std::max(2, r / 3));
                cv::line(img, ctr + cv::Point(-r, r), ctr + cv::Point(r, -r), c, std::max(2, r / 3));
                break;
            case 4: cv::circle(img, ctr, r, c, std::max(2, r / 4)); break;
            default:
                for (int k = -1; k <= 1; ++k)
                    cv::line(img, ctr + cv::Point(k * r / 2, -r), ctr + cv::Point(k * r / 2, r), c, std::max(2, r / 5));
            }
            // Look-alike noise: 12% go to a neighbouring hue of the same shape (never the singleton class).
            int given = cls;
            if (cls != singleton && u(rng) < 0.12)
                given = s * nHues + (h + (u(rng) < 0.5 ? 1 : nHues - 1)) % nHues;
            if (given == singleton)
                given = cls;
            fs::create_directories(root / className(given));
            const char *exts[] = {".png", ".jpg", ".bmp", ".ppm", ".webp", ".tif"};
            fs::path file = root / className(given) / ("img_" + std::to_string(written) + (photo ? ".jpg" : exts[i % 6]));
            cv::Mat out = img;
            if (photo) {
                bool ok = false;
                if (i % 7 == 4) {
                    file.replace_extension(".heic");
                    cv::Mat stored;
                    cv::rotate(img, stored, cv::ROTATE_90_COUNTERCLOCKWISE);
                    ok = labelscope::testing::writeHeic(file.string(), stored, heif_orientation_rotate_90_cw, 320);
                } else {
                    ok = i % 5 == 1 ? writeJpegOnItsSide(file, img) : cv::imwrite(file.string(), img, {cv::IMWRITE_JPEG_QUALITY, 90});
                }
                if (!ok) {
                    std::fprintf(stderr, "cannot write %s\n", file.c_str());
                    return 1;
                }
            } else if (i % 17 == 3) {
                cv::cvtColor(img, out, cv::COLOR_BGR2GRAY);
            } else if (i % 19 == 5) {
                cv::cvtColor(img, out, cv::COLOR_BGR2BGRA);
                file.replace_extension(".png");
            } else if (i % 23 == 7) {
                img.convertTo(out, CV_16UC3, 257);
                file.replace_extension(".png");
            }
            if (file.extension() == ".ppm" && out.channels() == 1)
                file.replace_extension(".pgm");
            if (!photo && !cv::imwrite(file.string(), out)) {
                std::fprintf(stderr, "cannot write %s\n", file.c_str());
                return 1;
            }
            truth << fs::relative(file, root).string() << ',' << className(cls) << ',' << className(given) << '\n';
            ++written;
        }
    }
    // Hostile and stray entries.
    fs::create_directories(root / "empty_class");
    std::ofstream(root / className(0) / "zero.jpg");
    std::ofstream(root / className(0) / "text.png") << "not an image\n";
    for (const auto &e : fs::directory_iterator(root / className(nHues + 1)))
        if (e.path().extension() == ".jpg") {
            fs::resize_file(e.path(), fs::file_size(e.path()) / 3);
            break;
        }
    std::ofstream(root / "README.txt") << "a stray file at the root\n";
    std::ofstream(root / className(4 * nHues) / "Thumbs.db") << "junk";
    std::printf("%d images in %s (truth: %s.truth.csv)\n", written, root.c_str(), root.c_str());
    return 0;
}
