#include "tsnetorch.h"

#include "jobs/job.h"

// t-SNE optimisation on a LibTorch device (CUDA, or the CPU device for tests and comparison).
// Our own code, the same method as the FFTW path in tsne.cpp, written in tensor ops so that it
// runs on any torch::Device:
//   - attraction Σ_j p_ij q_ij (y_i − y_j) from P in COO form: gather both endpoints
//     (index_select), per-edge weight p_ij / (1 + d²), scatter back (index_add_);
//   - repulsion by FFT-accelerated interpolation (FIt-SNE, Linderman et al., Nature Methods 2019;
//     grid rules as openTSNE's estimate_negative_gradient_fft_2d, Poličar et al. 2024): the grid,
//     boxes, Lagrange nodes, charges (1, y_x, y_y) and kernels (q² for the forces, q for Z) of
//     tsne.cpp's FftRepulsion; charges scattered with index_add_, the circulant convolution by
//     torch::fft::rfft2 / irfft2, potentials gathered with the same weights;
//   - the optimiser of computeTsne (momentum 0.5 → 0.8, gains +0.2 / ×0.8 min 0.01, re-centring).
// Everything per point or per edge is float32 on the device; Z, KL and the kernel spectra are
// summed / transformed in float64. index_add_ on CUDA uses atomics, so CUDA runs are not
// bit-identical run to run (the CPU device is).

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace labelscope {

namespace {

// Layouts on the device are coordinate-major, [2, n] (row 0 = x, row 1 = y): every per-point
// and per-edge step is then an elementwise op on contiguous rows, and sums over nodes or
// endpoints run over an outer dimension (reductions over a trailing size-2 or size-p² dimension
// cost the CPU device several times more).

// P in COO form on the device, with the flat indices of both endpoints into a [2, n] layout
// (x then y); scatters and gathers are then 1-D index_add_ / index_select (a tight loop on the
// CPU device; atomics on CUDA).
struct DeviceAffinities {
    int64_t n = 0, edges = 0;
    torch::Tensor values; // [E] float32, p_ij of edge (i, j)
    torch::Tensor endI;   // [2E] int64: i, then n + i, for every edge
    torch::Tensor endJ;   // [2E] int64: j, then n + j
};

DeviceAffinities toDevice(const TsneAffinities &p, const torch::Device &device)
{
    DeviceAffinities d;
    d.n = p.n;
    d.edges = int64_t(p.cols.size());
    torch::Tensor rows = torch::empty({d.edges}, torch::kInt64);
    int64_t *r = rows.data_ptr<int64_t>();
    for (int64_t i = 0; i < p.n; ++i)
        for (int64_t k = p.rowPtr[size_t(i)]; k < p.rowPtr[size_t(i + 1)]; ++k)
            r[k] = i;
    const torch::Tensor cols =
        torch::from_blob(const_cast<int32_t *>(p.cols.data()), {d.edges}, torch::kInt32).to(torch::kInt64);
    d.values = torch::from_blob(const_cast<float *>(p.values.data()), {d.edges}, torch::kFloat32).to(device, torch::kFloat32, false, true);
    d.endI = torch::cat({rows, rows + p.n}).to(device);
    d.endJ = torch::cat({cols, cols + p.n}).to(device);
    return d;
}

// attr [2, n] = Σ_j p_ij q_ij (y_i − y_j); `y` [2, n] float32 contiguous.
torch::Tensor attractiveForces(const DeviceAffinities &p, const torch::Tensor &y)
{
    const torch::Tensor flat = y.view({-1});
    const torch::Tensor diff = (flat.index_select(0, p.endI) - flat.index_select(0, p.endJ)).view({2, p.edges});
    const torch::Tensor w = p.values / (1.0 + diff[0].square() + diff[1].square()); // [E]
    torch::Tensor attr = torch::zeros({2 * p.n}, y.options());
    attr.index_add_(0, p.endI, (diff * w).view({-1}));
    return attr.view({2, p.n});
}

// KL(P‖Q) = Σ p log p − Σ p log q_ij + log Z over the non-zeros of P (as tsne.cpp's klFromZ),
// in float64.
double klFromZ(const DeviceAffinities &p, const torch::Tensor &y, double z)
{
    const torch::Tensor flat = y.view({-1}).to(torch::kFloat64);
    const torch::Tensor diff = (flat.index_select(0, p.endI) - flat.index_select(0, p.endJ)).view({2, p.edges});
    const torch::Tensor pv = p.values.to(torch::kFloat64);
    const torch::Tensor terms = torch::where(
        pv > 0, pv * (torch::log(pv.clamp_min(1e-300)) + torch::log1p(diff[0].square() + diff[1].square())),
        torch::zeros_like(pv));
    return terms.sum().item<double>() + std::log(z);
}

// Exact kernel sums for tiny problems (n < 64, as tsne.cpp): rep [2, n] = Σ_j q_ij² (y_i − y_j) / Z;
// *z = Z as a float64 scalar on the device.
torch::Tensor exactRepulsion(const torch::Tensor &y, torch::Tensor *z)
{
    const torch::Tensor diff = y.unsqueeze(2) - y.unsqueeze(1); // [2, n, n]
    torch::Tensor q = 1.0 / (1.0 + diff[0].square() + diff[1].square());
    q.fill_diagonal_(0.0);
    *z = q.to(torch::kFloat64).sum().clamp_min(1e-300);
    return (q.square().unsqueeze(0) * diff).sum(2) / z->to(torch::kFloat32);
}

// Repulsive forces by FFT-accelerated interpolation on the device; keeps the kernel spectra
// while the grid size and node spacing stay (see tsne.cpp's FftRepulsion for the grid rules).
class TorchFftRepulsion
{
public:
    TorchFftRepulsion(int nodes, double boxWidth, torch::Device device)
        : m_nodes(std::max(1, std::min(nodes, 8))), m_boxWidth(boxWidth > 0 ? boxWidth : 1.0), m_device(device)
    {
        // Lagrange nodes at (k + 0.5) / p in the unit box and the denominators of their basis
        // polynomials, Π_{b≠a} (node_a − node_b).
        std::vector<double> denom(size_t(m_nodes), 1.0);
        for (int a = 0; a < m_nodes; ++a)
            m_node.push_back((a + 0.5) / m_nodes);
        for (int a = 0; a < m_nodes; ++a)
            for (int b = 0; b < m_nodes; ++b)
                if (b != a)
                    denom[size_t(a)] *= m_node[size_t(a)] - m_node[size_t(b)];
        m_denom = denom;
        m_offsets = torch::arange(m_nodes, torch::TensorOptions().dtype(torch::kInt64).device(device));
    }

    // y [2, n] float32 on the device → rep [2, n] = Σ_j q_ij² (y_i − y_j) / Z; *z = Σ_{i≠j} q_ij as
    // a float64 scalar on the device (one device → host copy per call: the layout's extent).
    torch::Tensor compute(const torch::Tensor &y, torch::Tensor *z)
    {
        const int p = m_nodes;
        const int64_t n = y.size(1);
        const torch::Tensor lohi = torch::stack({y.min(), y.max()}).to(torch::kCPU, torch::kFloat64);
        const double lo = lohi[0].item<double>(), hi = lohi[1].item<double>();
        const TsneGrid layoutGrid = tsneInterpolationGrid(lo, hi, m_boxWidth, p);
        const int boxes = layoutGrid.boxes;
        const double boxWidth = layoutGrid.boxWidth;
        const int64_t n1 = int64_t(boxes) * p; // interpolation nodes per axis
        const int64_t m = 2 * n1;              // circulant embedding
        const int64_t mm = m * m;
        ensureKernels(m, boxWidth / p);

        // Per axis and point: box index and Lagrange weights w [2, p, n] (nodes at (k + 0.5) / p).
        const torch::Tensor u = (y - lo) / boxWidth;
        const torch::Tensor box = u.floor().clamp(0, boxes - 1);
        const torch::Tensor t = u - box;
        std::vector<torch::Tensor> weights;
        for (int c = 0; c < p; ++c) {
            torch::Tensor v = torch::ones_like(t);
            for (int e = 0; e < p; ++e)
                if (e != c)
                    v = v * (t - m_node[size_t(e)]);
            weights.push_back(v / m_denom[size_t(c)]);
        }
        const torch::Tensor w = torch::stack(weights, 1);                                         // [2, p, n]
        const torch::Tensor w2 = (w[0].unsqueeze(1) * w[1].unsqueeze(0)).view({p * p, n});        // [p², n]
        const torch::Tensor base = box.to(torch::kInt64) * p;                                      // [2, n]
        const torch::Tensor gx = base[0].unsqueeze(0) + m_offsets.unsqueeze(1);                   // [p, n]
        const torch::Tensor gy = base[1].unsqueeze(0) + m_offsets.unsqueeze(1);
        const torch::Tensor idx = (gx.unsqueeze(1) * m + gy.unsqueeze(0)).view({p * p, n});      // [p², n]

        // Charges 1, y_x, y_y onto three m × m grids (one flat 1-D scatter).
        const torch::Tensor charges = torch::cat({torch::ones({1, n}, y.options()), y}, 0);      // [3, n]
        const torch::Tensor src = (charges.unsqueeze(1) * w2.unsqueeze(0)).view({-1});            // [3 p² n]
        const torch::Tensor planes = torch::arange(4, idx.options()).view({4, 1, 1}) * mm;
        torch::Tensor grid = torch::zeros({3 * mm}, y.options());
        grid.index_add_(0, (planes.slice(0, 0, 3) + idx.unsqueeze(0)).view({-1}), src);

        // Circulant convolutions: grids 0..2 with q², grid 0 with q (for Z). Potentials [4, m, m].
        const torch::Tensor spectra = torch::fft::rfft2(grid.view({3, m, m}));
        const torch::Tensor potQ2 = torch::fft::irfft2(spectra * m_kernelQ2, {m, m});
        const torch::Tensor potQ = torch::fft::irfft2(spectra[0] * m_kernelQ, {m, m});
        const torch::Tensor potentials = torch::cat({potQ2, potQ.unsqueeze(0)}, 0).view({-1});  // [4 mm]

        // Back at the points with the same weights: phi [4, n].
        const torch::Tensor phi =
            (potentials.index_select(0, (planes + idx.unsqueeze(0)).view({-1})).view({4, p * p, n}) * w2.unsqueeze(0))
                .sum(1);
        *z = (phi[3].to(torch::kFloat64).sum() - double(n)).clamp_min(1e-300); // minus the self terms q_ii = 1
        return (y * phi[0] - phi.slice(0, 1, 3)) / z->to(torch::kFloat32);
    }

private:
    // Kernel spectra for grid size m and node spacing h, built in float64 and stored as float32
    // real parts (the kernels are even, their spectra real), as tsne.cpp.
    void ensureKernels(int64_t m, double h)
    {
        if (m == m_size && h == m_h)
            return;
        const int64_t n1 = m / 2;
        const auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(m_device);
        torch::Tensor off = torch::arange(m, opts);
        off = torch::where(off < double(n1), off, off - double(m)); // signed offsets
        const torch::Tensor d2 = (off.square().unsqueeze(1) + off.square().unsqueeze(0)) * (h * h);
        torch::Tensor q = 1.0 / (1.0 + d2);
        q.index_fill_(0, torch::tensor({n1}, opts.dtype(torch::kInt64)), 0.0); // the wrap row/column unused
        q.index_fill_(1, torch::tensor({n1}, opts.dtype(torch::kInt64)), 0.0);
        m_kernelQ = torch::real(torch::fft::rfft2(q)).to(torch::kFloat32).contiguous();
        m_kernelQ2 = torch::real(torch::fft::rfft2(q.square())).to(torch::kFloat32).contiguous();
        m_size = m;
        m_h = h;
    }

    int m_nodes;
    double m_boxWidth;
    torch::Device m_device;
    std::vector<double> m_node, m_denom;
    torch::Tensor m_offsets;
    int64_t m_size = 0;
    double m_h = -1.0;
    torch::Tensor m_kernelQ, m_kernelQ2; // [m, m/2 + 1] float32
};

torch::Device parseDevice(const QString &torchDevice)
{
    return torch::Device(torchDevice.toStdString());
}

// For use inside a catch block: the exception in flight, without LibTorch's C++ backtrace.
QString torchError(const QString &device)
{
    return QStringLiteral("t-SNE on LibTorch device %1: %2").arg(device, exceptionMessage(std::current_exception()));
}

} // namespace

bool tsneResolveDevice(TsneDevice requested, QString *torchDevice, QString *error)
{
    torchDevice->clear();
    if (requested == TsneDevice::Cpu)
        return true;
    if (requested == TsneDevice::TorchCpu) {
        *torchDevice = QStringLiteral("cpu");
        return true;
    }
    bool cuda = false;
    try {
        cuda = torch::cuda::is_available();
    } catch (const std::exception &) {
        cuda = false;
    }
    if (requested == TsneDevice::Auto) {
        if (cuda)
            *torchDevice = QStringLiteral("cuda");
        return true;
    }
    if (!cuda) {
        if (error)
            *error = QStringLiteral("t-SNE: device \"cuda\" was requested but CUDA is not available (this "
                                    "LibTorch has no CUDA support or no GPU is visible); use device \"auto\" "
                                    "or \"cpu\"");
        return false;
    }
    *torchDevice = QStringLiteral("cuda");
    return true;
}

double tsneTorchGradient(const TsneAffinities &p, const double *y, double *gradient, TsneDevice device,
                         QString *error, double exaggeration, int interpolationNodes, double boxWidth)
{
    QString torchDevice, why;
    if (!tsneResolveDevice(device, &torchDevice, &why)) {
        if (error)
            *error = why;
        return -1.0;
    }
    if (torchDevice.isEmpty())
        torchDevice = QStringLiteral("cpu");
    try {
        torch::NoGradGuard noGrad;
        const torch::Device dev = parseDevice(torchDevice);
        const DeviceAffinities dp = toDevice(p, dev);
        const torch::Tensor yt = torch::from_blob(const_cast<double *>(y), {p.n, 2}, torch::kFloat64)
                                     .t()
                                     .to(dev, torch::kFloat32)
                                     .contiguous(); // [2, n]
        TorchFftRepulsion fft(interpolationNodes, boxWidth, dev);
        torch::Tensor z;
        const torch::Tensor rep = fft.compute(yt, &z);
        const torch::Tensor attr = attractiveForces(dp, yt);
        const torch::Tensor g = (4.0 * (exaggeration * attr - rep)).t().to(torch::kCPU, torch::kFloat64).contiguous();
        std::memcpy(gradient, g.data_ptr<double>(), size_t(2 * p.n) * sizeof(double));
        return z.item<double>();
    } catch (...) {
        if (error)
            *error = torchError(torchDevice);
        return -1.0;
    }
}

void tsneTorchOptimise(const TsneAffinities &p, const std::vector<double> &y0, const TsneParams &params,
                       double learningRate, const QString &torchDevice, const std::atomic_bool &cancel,
                       const TsneProgressCallback &progress, TsneProgress info, TsneResult *result)
{
    const int64_t n = p.n;
    auto fail = [&](const QString &why) {
        result->error = why;
        result->layout.clear();
    };
    try {
        torch::NoGradGuard noGrad;
        const torch::Device dev = parseDevice(torchDevice);
        const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(dev);
        const DeviceAffinities dp = toDevice(p, dev);
        torch::Tensor y = torch::from_blob(const_cast<double *>(y0.data()), {n, 2}, torch::kFloat64)
                              .t()
                              .to(dev, torch::kFloat32)
                              .contiguous(); // [2, n]
        torch::Tensor update = torch::zeros({2, n}, opts), gains = torch::ones({2, n}, opts);
        const bool exact = n < 64; // as tsne.cpp
        TorchFftRepulsion fft(params.interpolationNodes, params.boxWidth, dev);
        std::vector<float> layout(size_t(2 * n));
        torch::Tensor norm2 = torch::zeros({}, opts);
        torch::Tensor z;
        auto toHost = [&](std::vector<float> *out) {
            const torch::Tensor h = y.t().to(torch::kCPU).contiguous(); // [n, 2]
            out->resize(size_t(2 * n));
            std::memcpy(out->data(), h.data_ptr<float>(), size_t(2 * n) * sizeof(float));
        };
        auto repulsion = [&](torch::Tensor *zOut) { return exact ? exactRepulsion(y, zOut) : fft.compute(y, zOut); };
        for (int it = 0; it < params.iterations; ++it) {
            if (cancel.load()) {
                result->cancelled = true;
                return fail(QStringLiteral("cancelled"));
            }
            const bool early = it < params.exaggerationIterations;
            const double exaggeration = early ? params.earlyExaggeration : 1.0;
            const double momentum = early ? 0.5 : 0.8;
            const torch::Tensor rep = repulsion(&z);
            const torch::Tensor attr = attractiveForces(dp, y);
            const torch::Tensor g = exaggeration * attr - rep;
            norm2 = g.square().sum();
            gains = torch::where(update * g < 0, gains + 0.2, gains * 0.8).clamp_min_(0.01);
            update.mul_(momentum).sub_(gains * g, learningRate);
            y.add_(update);
            y.sub_(y.mean(1, true));
            result->iterations = it + 1;
            if (progress && (it + 1) % params.emitEvery == 0 && it + 1 < params.iterations) {
                toHost(&layout);
                info.stage = QStringLiteral("optimise");
                info.iteration = it + 1;
                info.klDivergence = klFromZ(dp, y, z.item<double>());
                info.gradientNorm = std::sqrt(norm2.item<double>());
                info.layout = layout.data();
                progress(info);
                info.layout = nullptr;
            }
        }
        repulsion(&z);
        result->klDivergence = klFromZ(dp, y, z.item<double>());
        toHost(&result->layout);
        if (progress) {
            info.stage = QStringLiteral("optimise");
            info.iteration = result->iterations;
            info.klDivergence = result->klDivergence;
            info.gradientNorm = std::sqrt(norm2.item<double>());
            info.layout = result->layout.data();
            progress(info);
            info.layout = nullptr;
        }
    } catch (...) {
        fail(torchError(torchDevice));
    }
}

} // namespace labelscope
