// The colour-balance bound of the near-duplicate check (core/health/duplicates.h step 4;
// RESULTS.md "Session 19", "Session 20"): the L1 distance between mean chromaticities (R̄, Ḡ, B̄
// over their sum) of the colour pairs in NEARSETS (one set a line, tab-separated image paths: the
// sets `labelscope check` found, pairs with a grey image counted apart), against planted copies of
// the first 400 colour images listed, then of IMAGES (noise σ 8, a crop of 5% a side, JPEG at
// quality 50, a gain of .6, half size, the crop saved as JPEG at quality 70), all at 64 px (the
// check's side).
//
//   build/tests/chroma_copies NEARSETS.txt [IMAGES...]
#include <opencv2/opencv.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <random>
cv::Vec3d chroma(const cv::Mat &bgr) { cv::Scalar m = cv::mean(bgr); double s = m[0] + m[1] + m[2]; return s > 0 ? cv::Vec3d(m[2] / s, m[1] / s, m[0] / s) : cv::Vec3d(1/3., 1/3., 1/3.); }
bool grey(const cv::Mat &m) { std::vector<cv::Mat> c; cv::split(m, c); return cv::countNonZero(c[0] != c[1]) == 0 && cv::countNonZero(c[1] != c[2]) == 0; }
double dist(const cv::Mat &a, const cv::Mat &b) { auto x = chroma(a), y = chroma(b); return std::abs(x[0] - y[0]) + std::abs(x[1] - y[1]) + std::abs(x[2] - y[2]); }
cv::Mat at64(const cv::Mat &m) { cv::Mat r; double k = 64.0 / std::max(m.cols, m.rows); if (k >= 1) return m.clone(); cv::resize(m, r, {}, k, k, cv::INTER_AREA); return r; }
cv::Mat load(const std::string &p) { cv::Mat m = cv::imread(p, cv::IMREAD_COLOR); return m.empty() ? m : at64(m); }
cv::Mat jpeg(const cv::Mat &m, int q) { std::vector<uchar> buf; cv::imencode(".jpg", m, buf, {cv::IMWRITE_JPEG_QUALITY, q}); return cv::imdecode(buf, cv::IMREAD_COLOR); }
int main(int argc, char **argv) {
  if (argc < 2) { std::fprintf(stderr, "usage: chroma_copies NEARSETS.txt\n"); return 2; }
  std::ifstream in(argv[1]); std::string line; std::vector<double> flagged; int greyPairs = 0;
  std::vector<std::string> all;
  while (std::getline(in, line)) { std::stringstream ss(line); std::string p; std::vector<std::string> ps; while (std::getline(ss, p, '\t')) ps.push_back(p);
    for (size_t i = 1; i < ps.size(); ++i) { cv::Mat a = load(ps[0]), b = load(ps[i]); if (a.empty() || b.empty()) continue; if (grey(a) || grey(b)) { ++greyPairs; continue; } flagged.push_back(dist(a, b)); }
    all.insert(all.end(), ps.begin(), ps.end()); }
  std::sort(flagged.begin(), flagged.end());
  if (flagged.empty()) flagged.push_back(0.0);
  auto q = [](std::vector<double> &v, double f) { return v[std::min(v.size() - 1, size_t(f * v.size()))]; };
  printf("flagged colour pairs %zu (grey involved %d): min %.4f p10 %.4f p50 %.4f; below .03: %ld, below .04: %ld, below .05: %ld\n", flagged.size(), greyPairs, flagged[0], q(flagged, .1), q(flagged, .5),
    std::count_if(flagged.begin(), flagged.end(), [](double d) { return d < .03; }), std::count_if(flagged.begin(), flagged.end(), [](double d) { return d < .04; }), std::count_if(flagged.begin(), flagged.end(), [](double d) { return d < .05; }));
  for (int k = 2; k < argc; ++k) all.push_back(argv[k]);
  std::mt19937 rng(1); std::vector<double> copies[6]; int used = 0;
  for (size_t i = 0; i < all.size() && used < 400; ++i) {
    cv::Mat full = cv::imread(all[i], cv::IMREAD_COLOR); if (full.empty()) continue;
    cv::Mat a = at64(full); if (grey(a)) continue; ++used;
    cv::Mat n(a.size(), CV_16SC3); cv::randn(n, 0, 8); cv::Mat a16; a.convertTo(a16, CV_16SC3); cv::Mat noisy; cv::add(a16, n, a16); a16.convertTo(noisy, CV_8UC3);
    copies[0].push_back(dist(a, noisy));
    const int dx = std::max(1, full.cols / 20), dy = std::max(1, full.rows / 20);
    const cv::Mat crop = full(cv::Rect(dx, dy, full.cols - dx, full.rows - dy));
    copies[1].push_back(dist(a, at64(crop)));
    copies[2].push_back(dist(a, jpeg(a, 50)));
    cv::Mat dark; a.convertTo(dark, -1, 0.6, 0); copies[3].push_back(dist(a, dark));
    cv::Mat half; cv::resize(full, half, {}, 0.5, 0.5, cv::INTER_AREA); copies[4].push_back(dist(a, at64(half)));
    copies[5].push_back(dist(a, at64(jpeg(crop.clone(), 70))));
  }
  const char *names[] = {"noise 8", "crop 5%", "jpeg 50", "gain .6", "half size", "crop 5% + jpeg 70"};
  for (int k = 0; k < 6; ++k) { auto &v = copies[k]; if (v.empty()) continue; std::sort(v.begin(), v.end()); printf("%s: n %zu p50 %.4f p99 %.4f max %.4f\n", names[k], v.size(), q(v, .5), q(v, .99), v.back()); }
}
