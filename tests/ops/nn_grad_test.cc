// Focused tests of the nn family's gradients, with expected values derived by hand from the
// PyTorch definitions: max_pool2d_backward's routing at ties (first maximum), NaN (the last NaN
// of a window) and all -inf windows (first element inside the input), accumulation where
// windows overlap; and gradient graphs built over a symbolic batch dim N that run, without
// rebuilding, at two batch sizes (avg/max pooling, batch_norm in training, layer_norm, causal
// attention).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "passes/autodiff.h"
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

Attribute IV(std::vector<int64_t> v) { return Attribute(std::move(v)); }
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> Values(const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    v[static_cast<size_t>(i)] = static_cast<float>(t.GetAsDouble(i));
  }
  return v;
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << "element " << i;
  }
}

// max_pool2d_backward(dy, x) on the reference and the fast kernels (2 threads).
void ExpectMaxPoolBackward(const AttrMap& attrs, const Tensor& dy, const Tensor& x,
                           const std::vector<float>& want) {
  std::vector<TensorType> types;
  for (const Tensor& t : {dy, x}) types.push_back({t.dtype(), Shape::FromDims(t.dims())});
  for (const char* backend : {"ref", ""}) {
    SCOPED_TRACE(std::string("backend '") + backend + "'");
    SessionOptions options;
    options.backend = backend;
    options.threads = 2;
    Session session(SingleOpGraph("max_pool2d_backward", attrs, types), options);
    std::vector<Tensor> out = session.Run(std::vector<Tensor>{dy, x});
    ASSERT_EQ(out[0].dims(), x.dims());
    ExpectNear(Values(out[0]), want, 1e-6);
  }
}

TEST(MaxPool2dGrad, TiesGoToTheFirstMaximumInRowMajorWindowOrder) {
  // torch: x = ones(1, 1, 2, 2); max_pool2d(x, 2).backward(3) puts 3 at index 0 only.
  const AttrMap a{{"kernel_size", IV({2})}};
  ExpectMaxPoolBackward(a, Tensor::FromVector<float>({1, 1, 1, 1}, {3}),
                        Tensor::FromVector<float>({1, 1, 2, 2}, {1, 1, 1, 1}), {3, 0, 0, 0});
  // Ties at the second and fourth places: the second (row-major earlier) wins.
  ExpectMaxPoolBackward(a, Tensor::FromVector<float>({1, 1, 1, 1}, {2}),
                        Tensor::FromVector<float>({1, 1, 2, 2}, {0, 5, -1, 5}), {0, 2, 0, 0});
}

TEST(MaxPool2dGrad, NaNWinsAndTheLastNaNOfAWindowTakesTheGradient) {
  // PyTorch's CPU kernel updates on (val > max || isnan(val)): each later NaN replaces the
  // previous one.
  const AttrMap a{{"kernel_size", IV({2})}};
  ExpectMaxPoolBackward(a, Tensor::FromVector<float>({1, 1, 1, 1}, {4}),
                        Tensor::FromVector<float>({1, 1, 2, 2}, {kNaN, 7, kNaN, 9}),
                        {0, 0, 4, 0});
}

TEST(MaxPool2dGrad, AllMinusInfinityWindowRoutesToItsFirstElementInsideTheInput) {
  // Padding 1, kernel 2, stride 1 on a 2x2 plane of -inf: 3x3 windows; window (i, j) starts at
  // (i - 1, j - 1), so its first in-bounds element is (max(i-1, 0), max(j-1, 0)).
  const AttrMap a{{"kernel_size", IV({2})}, {"stride", IV({1})}, {"padding", IV({1})}};
  std::vector<float> dy = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  // (0,0) gets windows (0,0), (0,1), (1,0), (1,1): 1 + 2 + 4 + 5; (0,1) gets (0,2), (1,2):
  // 3 + 6; (1,0) gets (2,0), (2,1): 7 + 8; (1,1) gets (2,2): 9.
  ExpectMaxPoolBackward(a, Tensor::FromVector<float>({1, 1, 3, 3}, dy),
                        Tensor::FromVector<float>({1, 1, 2, 2}, {-kInf, -kInf, -kInf, -kInf}),
                        {12, 9, 15, 9});
}

TEST(MaxPool2dGrad, OverlappingWindowsAccumulate) {
  // Kernel (1, 2), stride 1 over [0, 5, 0]: both windows pick the 5.
  const AttrMap a{{"kernel_size", IV({1, 2})}, {"stride", IV({1})}};
  ExpectMaxPoolBackward(a, Tensor::FromVector<float>({1, 1, 1, 2}, {0.5f, 0.25f}),
                        Tensor::FromVector<float>({1, 1, 1, 3}, {0, 5, 0}), {0, 0.75f, 0});
}

// Appends loss and the gradients of `loss` with respect to the nodes named in `wrt` as outputs
// "loss" and "grad:<name>", and compiles the graph once (its symbolic dims stay symbolic).
std::unique_ptr<Session> GradSession(Graph g, Value loss, const std::vector<std::string>& wrt) {
  std::vector<Value> values;
  for (const std::string& name : wrt) values.push_back({g.FindNode(name), 0});
  g.AddOutput("loss", loss);
  Gradients grads = BuildGradients(g, loss, values);
  for (size_t i = 0; i < wrt.size(); ++i) g.AddOutput("grad:" + wrt[i], grads.grads[i]);
  SessionOptions options;
  options.threads = 2;
  return std::make_unique<Session>(std::move(g), options);
}

Tensor Ramp(Dims dims) {
  Tensor t = Tensor::Empty(DType::kF32, dims);
  for (int64_t i = 0; i < t.numel(); ++i) {
    t.data<float>()[i] = static_cast<float>((i * 31) % 97) * 0.1f;
  }
  return t;
}

const Shape kSymbolicX{Dim::Symbol("N"), 2, 4, 4};

TEST(NnGrad, PoolingGradientsRunAtAnyBatchSize) {
  Graph g("pool");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, kSymbolicX);
  Value avg = b.Op1("reduce_sum", {b.Op1("avg_pool2d", {x}, {{"kernel_size", IV({2})}})});
  Value mx = b.Op1("reduce_sum", {b.Op1("max_pool2d", {x}, {{"kernel_size", IV({2})}})});
  Value ad = b.Op1("reduce_sum", {b.Op1("adaptive_avg_pool2d", {x}, {{"output_size", IV({1})}})});
  Value loss = b.Op1("add", {b.Op1("add", {avg, mx}), ad});
  std::unique_ptr<Session> session = GradSession(std::move(g), loss, {"x"});
  for (int64_t n : {1, 3}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    Tensor xv = Ramp({n, 2, 4, 4});
    const Tensor dx = session->Run({{"x", xv}}).at("grad:x");
    ASSERT_EQ(dx.dims(), (Dims{n, 2, 4, 4}));
    // avg: 1/4 everywhere; adaptive (global): 1/16; max: 1 at each 2x2 window's maximum.
    std::vector<float> want(static_cast<size_t>(dx.numel()), 0.25f + 1.0f / 16);
    const float* xp = xv.data<float>();
    for (int64_t plane = 0; plane < n * 2; ++plane) {
      for (int64_t i = 0; i < 4; i += 2) {
        for (int64_t j = 0; j < 4; j += 2) {
          int64_t best = plane * 16 + i * 4 + j;
          for (int64_t a = 0; a < 2; ++a) {
            for (int64_t c = 0; c < 2; ++c) {
              const int64_t k = plane * 16 + (i + a) * 4 + j + c;
              if (xp[k] > xp[best]) best = k;
            }
          }
          want[static_cast<size_t>(best)] += 1;
        }
      }
    }
    ExpectNear(Values(dx), want, 1e-6);
  }
}

TEST(NnGrad, BatchNormTrainingGradientsRunAtAnyBatchSize) {
  Graph g("bn");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, kSymbolicX);
  Value w = b.Placeholder("w", DType::kF32, Shape{2});
  Value bias = b.Placeholder("b", DType::kF32, Shape{2});
  Value rm = b.Constant(Tensor::FromVector<float>({2}, {0, 0}));
  Value rv = b.Constant(Tensor::FromVector<float>({2}, {1, 1}));
  std::vector<Value> y = b.Op("batch_norm", {x, w, bias, rm, rv}, {{"training", 1}});
  // loss = sum(y * x), so dy = x: db = sum(x) per channel, dw = sum(x * xhat) = M var invstd,
  // and dx = y + (w invstd / M) (M x - sum x - xhat sum(x xhat))
  //        = y + w invstd (x - mean) eps / (var + eps).
  Value loss = b.Op1("reduce_sum", {b.Op1("mul", {y[0], x})});
  std::unique_ptr<Session> session = GradSession(std::move(g), loss, {"x", "w", "b"});
  const Tensor wv = Tensor::FromVector<float>({2}, {1.5f, -0.5f});
  const Tensor bv = Tensor::FromVector<float>({2}, {0.25f, 2});
  for (int64_t n : {2, 5}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    Tensor xv = Ramp({n, 2, 4, 4});
    NamedTensors out = session->Run({{"x", xv}, {"w", wv}, {"b", bv}});
    const double eps = 1e-5;
    const int64_t m = n * 16;
    const float* xp = xv.data<float>();
    std::vector<float> want_dx(static_cast<size_t>(xv.numel())), want_dw(2), want_db(2);
    for (int64_t c = 0; c < 2; ++c) {
      double sum = 0, sq = 0;
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t s = 0; s < 16; ++s) sum += xp[(i * 2 + c) * 16 + s];
      }
      const double mean = sum / static_cast<double>(m);
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t s = 0; s < 16; ++s) sq += (xp[(i * 2 + c) * 16 + s] - mean) *
                                                (xp[(i * 2 + c) * 16 + s] - mean);
      }
      const double var = sq / static_cast<double>(m), inv = 1 / std::sqrt(var + eps);
      const double wc = wv.data<float>()[c], bc = bv.data<float>()[c];
      want_db[static_cast<size_t>(c)] = static_cast<float>(sum);
      want_dw[static_cast<size_t>(c)] = static_cast<float>(static_cast<double>(m) * var * inv);
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t s = 0; s < 16; ++s) {
          const int64_t k = (i * 2 + c) * 16 + s;
          const double xc = xp[k] - mean;
          want_dx[static_cast<size_t>(k)] =
              static_cast<float>(xc * inv * wc + bc + wc * inv * xc * eps / (var + eps));
        }
      }
    }
    ExpectNear(Values(out.at("grad:x")), want_dx, 1e-4);
    ExpectNear(Values(out.at("grad:w")), want_dw, 1e-4);
    ExpectNear(Values(out.at("grad:b")), want_db, 1e-4);
  }
}

TEST(NnGrad, LayerNormGradientOfTheSumIsZeroAndBiasGetsTheRowCount) {
  // loss = sum(layer_norm(x, w = 1, b)): g = dy * w = 1, so dx = invstd (1 - mean(1) - xhat
  // mean(xhat)) = 0 (mean(xhat) = 0), and dbias = the number of rows, N * 2 * 4.
  Graph g("ln");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, kSymbolicX);
  Value w = b.Placeholder("w", DType::kF32, Shape{4});
  Value bias = b.Placeholder("b", DType::kF32, Shape{4});
  Value loss = b.Op1("reduce_sum", {b.Op1("layer_norm", {x, w, bias})});
  std::unique_ptr<Session> session = GradSession(std::move(g), loss, {"x", "b"});
  const Tensor ones = Tensor::FromVector<float>({4}, {1, 1, 1, 1});
  for (int64_t n : {1, 4}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    Tensor xv = Ramp({n, 2, 4, 4});
    NamedTensors out = session->Run({{"x", xv}, {"w", ones}, {"b", ones}});
    ExpectNear(Values(out.at("grad:x")), std::vector<float>(static_cast<size_t>(xv.numel())),
               1e-5);
    const float rows = static_cast<float>(n * 8);
    ExpectNear(Values(out.at("grad:b")), {rows, rows, rows, rows}, 1e-6);
  }
}

TEST(NnGrad, CausalAttentionGradientsRunAtAnyBatchSize) {
  // q = 0 makes every score 0, so causal P[i, j] = 1/(i+1) for j <= i. loss = sum(y): dy = 1,
  // dv[j, :] = sum_i P[i, j] = sum_{i >= j} 1/(i+1); dk = scale * dS^T q = 0.
  const int64_t l = 4, s = 4, e = 3, ev = 2;
  Graph g("attention");
  GraphBuilder b(g);
  Value q = b.Placeholder("q", DType::kF32, Shape{Dim::Symbol("N"), 2, l, e});
  Value k = b.Placeholder("k", DType::kF32, Shape{Dim::Symbol("N"), 2, s, e});
  Value v = b.Placeholder("v", DType::kF32, Shape{Dim::Symbol("N"), 2, s, ev});
  Value y = b.Op1("scaled_dot_product_attention", {q, k, v}, {{"causal", 1}});
  std::unique_ptr<Session> session =
      GradSession(std::move(g), b.Op1("reduce_sum", {y}), {"k", "v"});
  for (int64_t n : {1, 3}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    NamedTensors out = session->Run({{"q", Tensor::Zeros(DType::kF32, {n, 2, l, e})},
                                     {"k", Ramp({n, 2, s, e})},
                                     {"v", Ramp({n, 2, s, ev})}});
    std::vector<float> want_dv;
    for (int64_t bh = 0; bh < n * 2; ++bh) {
      for (int64_t j = 0; j < s; ++j) {
        double col = 0;
        for (int64_t i = j; i < l; ++i) col += 1.0 / static_cast<double>(i + 1);
        for (int64_t c = 0; c < ev; ++c) want_dv.push_back(static_cast<float>(col));
      }
    }
    ExpectNear(Values(out.at("grad:v")), want_dv, 1e-6);
    ExpectNear(Values(out.at("grad:k")), std::vector<float>(static_cast<size_t>(n * 2 * s * e)),
               1e-6);
  }
}

}  // namespace
}  // namespace bronze::testing
