// The colour-balance bound of the near-duplicate check (core/health/duplicates.h step 4;
// RESULTS.md "Session 19"): the L1 distance between mean chromaticities (R̄/Σ, Ḡ/Σ) of the colour
// pairs in NEARSETS (one set a line, tab-separated image paths: the sets `labelscope check` found,
// pairs with a grey image counted apart), against planted copies of the first 300 images listed
// (noise σ 8, a 3 px crop, JPEG at quality 50, a gain of .6), all at 64 px (the check's side).
//
//   build/tests/chroma_copies NEARSETS.txt
#include <opencv2/opencv.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <random>
cv::Vec2d chroma(const cv::Mat &bgr) { cv::Scalar m = cv::mean(bgr); double s = m[0] + m[1] + m[2]; return s > 0 ? cv::Vec2d(m[2] / s, m[1] / s) : cv::Vec2d(1/3., 1/3.); }
bool grey(const cv::Mat &m) { std::vector<cv::Mat> c; cv::split(m, c); return cv::countNonZero(c[0] != c[1]) == 0 && cv::countNonZero(c[1] != c[2]) == 0; }
double dist(const cv::Mat &a, const cv::Mat &b) { auto x = chroma(a), y = chroma(b); return std::abs(x[0] - y[0]) + std::abs(x[1] - y[1]); }
cv::Mat load(const std::string &p) { cv::Mat m = cv::imread(p, cv::IMREAD_COLOR); cv::Mat r; double k = 64.0 / std::max(m.cols, m.rows); cv::resize(m, r, {}, k, k, cv::INTER_AREA); return r; }
int main(int argc, char **argv) {
  if (argc < 2) { std::fprintf(stderr, "usage: chroma_copies NEARSETS.txt\n"); return 2; }
  std::ifstream in(argv[1]); std::string line; std::vector<double> flagged; int greyPairs = 0;
  std::vector<std::string> all;
  while (std::getline(in, line)) { std::stringstream ss(line); std::string p; std::vector<std::string> ps; while (std::getline(ss, p, '\t')) ps.push_back(p);
    for (size_t i = 1; i < ps.size(); ++i) { cv::Mat a = load(ps[0]), b = load(ps[i]); if (grey(a) || grey(b)) { ++greyPairs; continue; } flagged.push_back(dist(a, b)); }
    all.insert(all.end(), ps.begin(), ps.end()); }
  std::sort(flagged.begin(), flagged.end());
  auto q = [](std::vector<double> &v, double f) { return v[std::min(v.size() - 1, size_t(f * v.size()))]; };
  printf("flagged colour pairs %zu (grey involved %d): min %.4f p10 %.4f p50 %.4f; below .02: %ld, below .03: %ld, below .04: %ld\n", flagged.size(), greyPairs, flagged[0], q(flagged, .1), q(flagged, .5),
    std::count_if(flagged.begin(), flagged.end(), [](double d) { return d < .02; }), std::count_if(flagged.begin(), flagged.end(), [](double d) { return d < .03; }), std::count_if(flagged.begin(), flagged.end(), [](double d) { return d < .04; }));
  std::mt19937 rng(1); std::vector<double> copies[4];
  for (size_t i = 0; i < all.size() && i < 300; ++i) {
    cv::Mat a = load(all[i]); if (grey(a)) continue;
    cv::Mat n(a.size(), CV_16SC3); cv::randn(n, 0, 8); cv::Mat a16; a.convertTo(a16, CV_16SC3); cv::Mat noisy; cv::add(a16, n, a16); a16.convertTo(noisy, CV_8UC3);
    copies[0].push_back(dist(a, noisy));
    cv::Mat sh = cv::Mat::zeros(a.size(), a.type()); a(cv::Rect(3, 3, a.cols - 3, a.rows - 3)).copyTo(sh(cv::Rect(0, 0, a.cols - 3, a.rows - 3))); copies[1].push_back(dist(a, sh(cv::Rect(0,0,a.cols-3,a.rows-3))));
    std::vector<uchar> buf; cv::imencode(".jpg", a, buf, {cv::IMWRITE_JPEG_QUALITY, 50}); copies[2].push_back(dist(a, cv::imdecode(buf, cv::IMREAD_COLOR)));
    cv::Mat dark; a.convertTo(dark, -1, 0.6, 0); copies[3].push_back(dist(a, dark));
  }
  const char *names[] = {"noise 8", "crop 3 px", "jpeg 50", "gain .6"};
  for (int k = 0; k < 4; ++k) { auto &v = copies[k]; std::sort(v.begin(), v.end()); printf("%s: n %zu p50 %.4f p99 %.4f max %.4f\n", names[k], v.size(), q(v, .5), q(v, .99), v.back()); }
}
