// Plants image defects into an ImageFolder of camera-sized photos, to check the health checks
// where decoding takes a large JPEG reduced (RESULTS.md, session 22). Every image file of ROOT
// (recursively, .jpg) is a candidate; with SEED, disjoint random sets of about RATE of them get:
//   exact     a byte copy beside it (NAME_exact.jpg): an exact duplicate;
//   lossless  its decoded pixels saved as PNG beside it (NAME_png.png): the same pixels, so an
//             exact duplicate when both are decoded whole, a near one when the JPEG is reduced;
//   near      a copy at 60% of the size, JPEG quality 70 (NAME_near.jpg): a near duplicate;
//   dark      rewritten in place with its pixels multiplied by 0.1–0.3;
//   blurry    rewritten in place blurred with a Gaussian of σ = 1.5% of its longer side (about
//             1 px at the 64 px the sharpness measure looks at).
// ROOT.defects.csv lists file,type (paths relative to ROOT; a copy's row names the copy).
// Images with an EXIF orientation are left alone for the rewrites (OpenCV would write them upright).
//
//   build/tests/photo_defects ROOT [SEED=1] [RATE=0.03]
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: photo_defects ROOT [SEED=1] [RATE=0.03]\n");
        return 2;
    }
    const fs::path root = argv[1];
    std::mt19937 rng(argc > 2 ? unsigned(std::atoi(argv[2])) : 1u);
    const double rate = argc > 3 ? std::atof(argv[3]) : 0.03;
    std::vector<fs::path> files;
    for (const auto &e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file() && e.path().extension() == ".jpg" && fs::file_size(e.path()) > 1000)
            files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::shuffle(files.begin(), files.end(), rng);
    std::uniform_real_distribution<double> u(0, 1);
    const std::size_t each = std::max<std::size_t>(1, std::size_t(rate * double(files.size())));
    const char *types[] = {"exact", "lossless", "near", "dark", "blurry"};
    std::ofstream truth(root.string() + ".defects.csv");
    std::size_t next = 0, planted = 0;
    for (const char *type : types) {
        for (std::size_t k = 0; k < each && next < files.size(); ++next) {
            const fs::path &f = files[next];
            const std::string t = type;
            const cv::Mat img = cv::imread(f.string(), cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
            const cv::Mat upright = cv::imread(f.string(), cv::IMREAD_COLOR);
            if (img.empty() || upright.empty())
                continue;
            const bool turned = img.size() != upright.size();
            fs::path out = f;
            bool ok = true;
            if (t == "exact") {
                out = f.parent_path() / (f.stem().string() + "_exact.jpg");
                fs::copy_file(f, out, fs::copy_options::overwrite_existing);
            } else if (t == "lossless") {
                out = f.parent_path() / (f.stem().string() + "_png.png");
                ok = cv::imwrite(out.string(), upright);
            } else if (t == "near") {
                out = f.parent_path() / (f.stem().string() + "_near.jpg");
                cv::Mat small;
                cv::resize(upright, small, cv::Size(), 0.6, 0.6, cv::INTER_AREA);
                ok = cv::imwrite(out.string(), small, {cv::IMWRITE_JPEG_QUALITY, 70});
            } else {
                if (turned)
                    continue; // rewriting would drop the EXIF tag
                cv::Mat changed;
                if (t == "dark")
                    img.convertTo(changed, -1, 0.1 + 0.2 * u(rng));
                else
                    cv::GaussianBlur(img, changed, cv::Size(), 0.015 * std::max(img.cols, img.rows));
                ok = cv::imwrite(f.string(), changed, {cv::IMWRITE_JPEG_QUALITY, 90});
            }
            if (!ok) {
                std::fprintf(stderr, "cannot write %s\n", out.c_str());
                return 1;
            }
            truth << fs::relative(out, root).string() << ',' << t << '\n';
            ++k;
            ++planted;
        }
    }
    std::printf("%zu defects planted in %s (truth: %s.defects.csv)\n", planted, root.c_str(), root.c_str());
    return 0;
}
