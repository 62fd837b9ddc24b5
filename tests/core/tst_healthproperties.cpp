// Image-property checks (core/health/imageproperties.h): the raw measures on images whose
// values are known, and the dataset-relative scores on Fashion-MNIST with an all-black, an
// all-white, a blurred, a darkened, a long and a large image mixed in.

#include "healthtestutil.h"
#include "health/imageproperties.h"

#include <QtTest>

#include <cmath>

using namespace labelscope;
using namespace healthtest;

namespace {

ImageMeasures measured(const cv::Mat &m)
{
    ImageMeasures out;
    if (!measureImage(decoded(m), &out))
        qFatal("measureImage failed");
    return out;
}

/// Scores every image of IMAGES as one dataset.
HealthReport scored(const std::vector<cv::Mat> &images, const ImagePropertyOptions &options = {})
{
    std::vector<ImageMeasures> measures;
    for (const cv::Mat &m : images)
        measures.push_back(measured(m));
    HealthReport report;
    scoreImageProperties(measures, std::vector<std::uint8_t>(images.size(), 1), options, &report);
    return report;
}

bool flagged(const HealthReport &r, IssueType t, int i)
{
    return r.column(t).flag[std::size_t(i)] != 0;
}

} // namespace

class TestHealthProperties final : public QObject
{
    Q_OBJECT

private:
    std::vector<cv::Mat> m_fashion;

private Q_SLOTS:
    void initTestCase()
    {
        m_fashion = fashionImages(400);
        if (m_fashion.size() < 400)
            QSKIP("Fashion-MNIST is not installed (/usr/share/datasets/fashion-mnist)");
    }

    void knownMeasures()
    {
        // 100 pixels 0..99: np.percentile gives 98.01 and 4.95 grey levels, entropy log2(100).
        cv::Mat ramp(10, 10, CV_8U);
        for (int i = 0; i < 100; ++i)
            ramp.data[i] = uchar(i);
        const ImageMeasures m = measured(ramp);
        QCOMPARE(m.width, 10);
        QCOMPARE(m.channels, 1);
        QVERIFY(std::abs(m.brightnessP99 - 98.01f / 255.0f) < 1e-5f);
        QVERIFY(std::abs(m.brightnessP5 - 4.95f / 255.0f) < 1e-5f);
        QVERIFY(std::abs(m.entropy - float(std::log2(100.0))) < 1e-4f);
        QCOMPARE(m.chroma, 0.0f);

        // CleanVision's colour brightness: pure blue is sqrt(0.068) = 0.26, i.e. dark.
        const ImageMeasures blue = measured(cv::Mat(8, 8, CV_8UC3, cv::Scalar(0, 0, 255)));
        QVERIFY(std::abs(blue.brightnessP99 - std::sqrt(0.068f)) < 2e-3f); // colour steps of 1/1023
        QCOMPARE(blue.chroma, 255.0f); // |R − G| + |G − B| = 0 + 255

        // No contrast: entropy 0, sharpness undefined.
        const ImageMeasures black = measured(cv::Mat(28, 28, CV_8U, cv::Scalar(0)));
        QCOMPARE(black.brightnessP99, 0.0f);
        QCOMPARE(black.entropy, 0.0f);
        QVERIFY(black.sharpness < 0.0f);
        const ImageMeasures white = measured(cv::Mat(28, 28, CV_8U, cv::Scalar(255)));
        QCOMPARE(white.brightnessP5, 1.0f);
    }

    void oddInputsAreMeasuredOrRefused()
    {
        const ImageMeasures one = measured(cv::Mat(1, 1, CV_8U, cv::Scalar(77)));
        QCOMPARE(one.width, 1);
        QVERIFY(one.sharpness < 0.0f);
        const ImageMeasures thin = measured(cv::Mat(1, 300, CV_8UC3, cv::Scalar(10, 200, 30)));
        QCOMPARE(thin.height, 1);
        // A large image is reduced to 64 px for the sharpness only.
        cv::Mat big(2000, 3000, CV_8U);
        cv::randu(big, 0, 255);
        const ImageMeasures large = measured(big);
        QCOMPARE(large.width, 3000);
        QVERIFY(large.sharpness > 0.0f);

        ImageMeasures out;
        DecodedImage bad = decoded(cv::Mat(4, 4, CV_8UC2, cv::Scalar(1, 2)));
        QVERIFY(!measureImage(bad, &out)); // two channels: core never decodes to that
        bad = decoded(cv::Mat(4, 4, CV_8U, cv::Scalar(1)));
        bad.pixels.pop_back();
        QVERIFY(!measureImage(bad, &out));
        QVERIFY(!measureImage(DecodedImage(), &out));
    }

    void darkLightLowInformationBlurry()
    {
        std::vector<cv::Mat> images(m_fashion.begin(), m_fashion.begin() + 300);
        const int black = int(images.size());
        images.push_back(cv::Mat(28, 28, CV_8U, cv::Scalar(0)));
        const int white = int(images.size());
        images.push_back(cv::Mat(28, 28, CV_8U, cv::Scalar(255)));
        cv::Mat blurred, darker;
        cv::GaussianBlur(m_fashion[310], blurred, cv::Size(0, 0), 1.5);
        const int blur = int(images.size());
        images.push_back(blurred);
        m_fashion[311].convertTo(darker, CV_8U, 0.2);
        const int dark = int(images.size());
        images.push_back(darker);
        const HealthReport r = scored(images);

        QVERIFY(flagged(r, IssueType::Dark, black) && flagged(r, IssueType::LowInformation, black));
        QVERIFY(flagged(r, IssueType::Light, white) && flagged(r, IssueType::LowInformation, white));
        QVERIFY(!flagged(r, IssueType::Blurry, black)); // no contrast: low information, not blurry
        QVERIFY(flagged(r, IssueType::Blurry, blur));
        QVERIFY(flagged(r, IssueType::Dark, dark));
        QVERIFY(!flagged(r, IssueType::Blurry, dark)); // contrast-invariant sharpness
        QCOMPARE(r.column(IssueType::Dark).score[std::size_t(black)], 0.0f);
        QCOMPARE(r.column(IssueType::Light).score[std::size_t(white)], 0.0f);
        // The 300 originals: none blurry or light; at most a few dark or low-information
        // (Fashion-MNIST has really dark garments, 23 of 70,000 by CleanVision's rule, and thin
        // sandals on black, 56 of 70,000 under 0.3 × the median entropy).
        int darkOriginals = 0, blankOriginals = 0;
        for (int i = 0; i < 300; ++i) {
            QVERIFY(!flagged(r, IssueType::Blurry, i));
            QVERIFY(!flagged(r, IssueType::Light, i));
            darkOriginals += flagged(r, IssueType::Dark, i) ? 1 : 0;
            blankOriginals += flagged(r, IssueType::LowInformation, i) ? 1 : 0;
        }
        QVERIFY(darkOriginals <= 3);
        QVERIFY(blankOriginals <= 3);
        QVERIFY(r.statistics.medianSharpness > 2.0 && r.statistics.medianSharpness < 5.0);
        for (const IssueType t : {IssueType::Dark, IssueType::Light, IssueType::Blurry, IssueType::LowInformation})
            for (const float s : r.column(t).score)
                QVERIFY(s >= 0.0f && s <= 1.0f);
    }

    void aspectAndSize()
    {
        // All 28×28 but one long and one large image: with one common size, any other is odd.
        std::vector<cv::Mat> images(m_fashion.begin(), m_fashion.begin() + 50);
        images.push_back(cv::Mat(10, 100, CV_8U, cv::Scalar(90)));
        images.push_back(cv::Mat(300, 300, CV_8U, cv::Scalar(90)));
        HealthReport r = scored(images);
        QVERIFY(flagged(r, IssueType::OddAspectRatio, 50));
        QVERIFY(std::abs(r.column(IssueType::OddAspectRatio).score[50] - 0.1f) < 1e-6f);
        QVERIFY(!flagged(r, IssueType::OddAspectRatio, 0));
        QVERIFY(flagged(r, IssueType::OddSize, 50) && flagged(r, IssueType::OddSize, 51));
        QVERIFY(!flagged(r, IssueType::OddSize, 0));
        QCOMPARE(r.column(IssueType::OddSize).threshold, 1.0);

        // Sizes 40..79 px: IQR fences Q1 − 3·IQR, Q3 + 3·IQR; 400 px is outside, 20 px inside.
        images.clear();
        for (int s = 40; s < 80; ++s)
            images.push_back(cv::Mat(s, s, CV_8U, cv::Scalar(s)));
        images.push_back(cv::Mat(400, 400, CV_8U, cv::Scalar(9)));
        images.push_back(cv::Mat(20, 20, CV_8U, cv::Scalar(9)));
        r = scored(images);
        QCOMPARE(r.column(IssueType::OddSize).threshold, 0.5);
        QVERIFY(flagged(r, IssueType::OddSize, 40));
        QVERIFY(!flagged(r, IssueType::OddSize, 41));
        QVERIFY(r.statistics.sizeLow < 20.0 && r.statistics.sizeHigh < 400.0);
    }

    void grayscaleOnlyInColourDatasets()
    {
        std::vector<cv::Mat> colour;
        cv::theRNG().state = 3;
        for (int i = 0; i < 40; ++i) {
            cv::Mat m(24, 24, CV_8UC3);
            cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
            colour.push_back(m);
        }
        cv::Mat greyAsRgb;
        cv::cvtColor(m_fashion[0], greyAsRgb, cv::COLOR_GRAY2RGB);
        colour.push_back(greyAsRgb);
        colour.push_back(m_fashion[1]); // a one-channel image
        HealthReport r = scored(colour);
        QVERIFY(flagged(r, IssueType::Grayscale, 40) && flagged(r, IssueType::Grayscale, 41));
        QVERIFY(!flagged(r, IssueType::Grayscale, 0));
        QVERIFY(r.statistics.grayscaleShare < 0.1);
        // In a grey dataset grey is the norm.
        r = scored(std::vector<cv::Mat>(m_fashion.begin(), m_fashion.begin() + 40));
        QCOMPARE(r.column(IssueType::Grayscale).flagged(), std::int64_t(0));
        QCOMPARE(r.statistics.grayscaleShare, 1.0);
    }

    void unmeasuredSamplesKeepScoreOne()
    {
        std::vector<ImageMeasures> measures(3);
        measures[0] = measured(cv::Mat(28, 28, CV_8U, cv::Scalar(0)));
        measures[1] = measured(m_fashion[2]);
        HealthReport report;
        scoreImageProperties(measures, {1, 1, 0}, {}, &report);
        for (int t = 0; t < kIssueTypeCount; ++t) {
            const IssueColumn &c = report.columns[std::size_t(t)];
            if (!c.computed)
                continue;
            QCOMPARE(c.score[2], 1.0f);
            QCOMPARE(c.flag[2], std::uint8_t(0));
        }
        QVERIFY(report.column(IssueType::Dark).flag[0]);
    }
};

QTEST_GUILESS_MAIN(TestHealthProperties)
#include "tst_healthproperties.moc"
