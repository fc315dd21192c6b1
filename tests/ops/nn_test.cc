// Focused tests of the nn ops' semantics, on the reference and the fast CPU kernels, against
// values derived by hand from the PyTorch definitions (pooling output sizes with ceil_mode,
// padding and dilation, avg_pool2d divisors, adaptive windows, batch_norm's biased/unbiased
// variances and running statistics, layer_norm's eps placement, attention masks, causal
// alignment and fully masked rows), plus symbolic-dim shape inference and schema docs.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "tests/ops/op_cases.h"
#include "tests/ops/target_sweep.h"

namespace bronze::testing {
namespace {

Attribute IV(std::vector<int64_t> v) { return Attribute(std::move(v)); }

std::vector<float> Arange(int64_t n, float start = 0, float step = 1) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + step * static_cast<float>(i);
  return v;
}

std::vector<float> Values(const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    v[static_cast<size_t>(i)] = static_cast<float>(t.GetAsDouble(i));
  }
  return v;
}

// Runs `op` through a Session on the reference kernels and on the default (fast) kernels with 2
// threads; both must give `want` for output `index` (within a float tolerance).
void ExpectOutput(const std::string& op, const AttrMap& attrs, const std::vector<Tensor>& inputs,
                  const Dims& dims, const std::vector<float>& want, size_t index = 0,
                  double tol = 1e-5) {
  std::vector<TensorType> types;
  for (const Tensor& t : inputs) types.push_back({t.dtype(), Shape::FromDims(t.dims())});
  for (const char* backend : {"ref", ""}) {
    SCOPED_TRACE(std::string(op) + " backend '" + backend + "'");
    SessionOptions options;
    options.backend = backend;
    options.threads = 2;
    std::vector<Tensor> out = Session(SingleOpGraph(op, attrs, types), options).Run(inputs);
    ASSERT_GT(out.size(), index);
    ASSERT_EQ(out[index].dims(), dims);
    std::vector<float> got = Values(out[index]);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      if (std::isnan(want[i])) {
        EXPECT_TRUE(std::isnan(got[i])) << "element " << i << " = " << got[i];
      } else {
        EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << "element " << i;
      }
    }
  }
}

Dims OutDims(const std::string& op, const AttrMap& attrs, const Dims& x) {
  return OutputTypes(op, attrs, {Tensor::Zeros(DType::kF32, x)})[0].shape.static_dims();
}

TEST(MaxPool2d, OutputSizeFollowsPyTorchCeilModeRule) {
  // floor((6 + 2 - 3) / 2) + 1 = 3; ceil: ceil(5 / 2) + 1 = 4, the last window starting at
  // 3*2 - 1 = 5 < 6 + 1 (inside the input): kept.
  AttrMap a{{"kernel_size", IV({3})}, {"stride", IV({2})}, {"padding", IV({1})}};
  EXPECT_EQ(OutDims("max_pool2d", a, {1, 1, 6, 6}), (Dims{1, 1, 3, 3}));
  a["ceil_mode"] = 1;
  EXPECT_EQ(OutDims("max_pool2d", a, {1, 1, 6, 6}), (Dims{1, 1, 4, 4}));
  // 5 wide, kernel 3, stride 3, padding 1: ceil(4 / 3) + 1 = 3, but the third window would start
  // at 2*3 - 1 = 5 >= 5 + 1 - 1, i.e. in the right padding: dropped, as PyTorch.
  AttrMap b{{"kernel_size", IV({3})}, {"stride", IV({3})}, {"padding", IV({1})}, {"ceil_mode", 1}};
  EXPECT_EQ(OutDims("max_pool2d", b, {1, 1, 5, 5}), (Dims{1, 1, 2, 2}));
  // nn.MaxPool2d(2, ceil_mode=True) on 5x5 gives 3x3; without ceil_mode 2x2.
  AttrMap c{{"kernel_size", IV({2})}, {"ceil_mode", 1}};
  EXPECT_EQ(OutDims("max_pool2d", c, {2, 3, 5, 5}), (Dims{2, 3, 3, 3}));
  c["ceil_mode"] = 0;
  EXPECT_EQ(OutDims("max_pool2d", c, {2, 3, 5, 5}), (Dims{2, 3, 2, 2}));
  // Dilation 2 makes a 3-tap kernel span 5: floor((7 - 5) / 1) + 1 = 3.
  AttrMap d{{"kernel_size", IV({3})}, {"stride", IV({1})}, {"dilation", IV({2})}};
  EXPECT_EQ(OutDims("max_pool2d", d, {1, 1, 7, 9}), (Dims{1, 1, 3, 5}));
}

TEST(MaxPool2d, WindowsPaddingAndDilation) {
  // x = 0..15 as a 4x4 plane: 2x2 windows with stride 2 take each block's bottom-right value.
  Tensor x = Tensor::FromVector<float>({1, 1, 4, 4}, Arange(16));
  ExpectOutput("max_pool2d", {{"kernel_size", IV({2})}}, {x}, {1, 1, 2, 2}, {5, 7, 13, 15});
  // Dilation 2, stride 1: window (i, j) reads (i, j), (i, j+2), (i+2, j), (i+2, j+2).
  ExpectOutput("max_pool2d", {{"kernel_size", IV({2})}, {"stride", IV({1})}, {"dilation", IV({2})}},
               {x}, {1, 1, 2, 2}, {10, 11, 14, 15});
  // Padding is -inf, not 0: on an all-negative input a corner window's max is a real element.
  Tensor neg = Tensor::FromVector<float>({1, 1, 4, 4}, Arange(16, -1, -1));
  ExpectOutput("max_pool2d", {{"kernel_size", IV({3})}, {"stride", IV({3})}, {"padding", IV({1})}},
               {neg}, {1, 1, 2, 2}, {-1, -3, -9, -11});
}

TEST(MaxPool2d, NaNInAWindowWins) {
  std::vector<float> v = Arange(32);
  v[1] = std::numeric_limits<float>::quiet_NaN();  // row 0, column 1
  Tensor x = Tensor::FromVector<float>({1, 1, 2, 16}, v);
  std::vector<float> want(8);
  for (size_t j = 0; j < 8; ++j) want[j] = 16 + 2 * static_cast<float>(j) + 1;
  want[0] = std::numeric_limits<float>::quiet_NaN();
  ExpectOutput("max_pool2d", {{"kernel_size", IV({2})}}, {x}, {1, 1, 1, 8}, want);
}

TEST(AvgPool2d, DivisorsWithPaddingAndCeilMode) {
  // Ones on 6x6, kernel 3, stride 2, padding 1, ceil_mode: 4x4 outputs. Along a dim, output 0
  // spans [-1, 2): 3 positions with padding, 2 inside; outputs 1 and 2 span 3 inside; output 3
  // spans [5, 8), clipped to the padded extent [5, 7): 2 positions, 1 inside.
  // count_include_pad=1 divides by the padded extents' product, 0 by the inside count.
  Tensor ones = Tensor::FromVector<float>({1, 1, 6, 6}, std::vector<float>(36, 1.0f));
  const float inside[4] = {2, 3, 3, 1}, padded[4] = {3, 3, 3, 2};
  std::vector<float> with_pad, without_pad;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      with_pad.push_back(inside[i] * inside[j] / (padded[i] * padded[j]));
      without_pad.push_back(1.0f);
    }
  }
  AttrMap a{{"kernel_size", IV({3})}, {"stride", IV({2})}, {"padding", IV({1})}, {"ceil_mode", 1}};
  ExpectOutput("avg_pool2d", a, {ones}, {1, 1, 4, 4}, with_pad);
  a["count_include_pad"] = 0;
  ExpectOutput("avg_pool2d", a, {ones}, {1, 1, 4, 4}, without_pad);
  // Without padding, ceil_mode's clipped last window divides by its inside count: 5 wide,
  // kernel 2: windows [0, 2), [2, 4), [4, 5) over x = column index.
  std::vector<float> cols;
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) cols.push_back(static_cast<float>(j));
  }
  Tensor x = Tensor::FromVector<float>({1, 1, 5, 5}, cols);
  std::vector<float> want;
  for (int i = 0; i < 3; ++i) {
    for (float m : {0.5f, 2.5f, 4.0f}) want.push_back(m);
  }
  ExpectOutput("avg_pool2d", {{"kernel_size", IV({2})}, {"ceil_mode", 1}}, {x}, {1, 1, 3, 3}, want);
}

TEST(AdaptiveAvgPool2d, WindowsAreFloorAndCeilOfTheScaledRange) {
  // H = 5 to 3 rows: [floor(0), ceil(5/3)) = [0, 2), [floor(5/3), ceil(10/3)) = [1, 4),
  // [floor(10/3), ceil(5)) = [3, 5): means of 0..4 over those rows are 0.5, 2 and 3.5.
  Tensor x = Tensor::FromVector<float>({1, 1, 5, 1}, Arange(5));
  ExpectOutput("adaptive_avg_pool2d", {{"output_size", IV({3, 1})}}, {x}, {1, 1, 3, 1},
               {0.5f, 2.0f, 3.5f});
  // Output larger than the input: 2 to 3 gives [0, 1), [0, 2), [1, 2).
  Tensor y = Tensor::FromVector<float>({1, 2, 1}, {4, 8});
  ExpectOutput("adaptive_avg_pool2d", {{"output_size", IV({3, 1})}}, {y}, {1, 3, 1}, {4, 6, 8});
  // Global average pooling.
  Tensor z = Tensor::FromVector<float>({2, 1, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
  ExpectOutput("adaptive_avg_pool2d", {{"output_size", IV({1})}}, {z}, {2, 1, 1, 1}, {2.5f, 25});
}

struct BnInputs {
  Tensor x, w, b, rm, rv;
  std::vector<Tensor> all() const { return {x, w, b, rm, rv}; }
};

// x (2, 2, 2): channel 0 holds 1, 2, 3, 4; channel 1 holds 10, 10, 10, 14.
BnInputs SmallBatch() {
  return {Tensor::FromVector<float>({2, 2, 2}, {1, 2, 10, 10, 3, 4, 10, 14}),
          Tensor::FromVector<float>({2}, {2, 1}), Tensor::FromVector<float>({2}, {0.5f, -1}),
          Tensor::FromVector<float>({2}, {0, 1}), Tensor::FromVector<float>({2}, {1, 2})};
}

TEST(BatchNorm, TrainingUsesBiasedVarianceAndUpdatesWithUnbiased) {
  BnInputs in = SmallBatch();
  const double eps = 1e-5;
  // Channel 0: mean 2.5, biased var 1.25, unbiased 5/3. Channel 1: mean 11, biased var 3,
  // unbiased 4.
  const double m[2] = {2.5, 11}, vb[2] = {1.25, 3}, vu[2] = {5.0 / 3, 4};
  const double w[2] = {2, 1}, b[2] = {0.5, -1};
  const float xs[8] = {1, 2, 10, 10, 3, 4, 10, 14};
  std::vector<float> y(8);
  for (int i = 0; i < 8; ++i) {
    int c = (i / 2) % 2;
    y[static_cast<size_t>(i)] =
        static_cast<float>((xs[i] - m[c]) / std::sqrt(vb[c] + eps) * w[c] + b[c]);
  }
  AttrMap a{{"training", 1}};
  ExpectOutput("batch_norm", a, in.all(), {2, 2, 2}, y, 0);
  // new = 0.9 * old + 0.1 * batch statistic (unbiased variance).
  ExpectOutput("batch_norm", a, in.all(), {2}, {0.9f * 0 + 0.1f * 2.5f, 0.9f * 1 + 0.1f * 11}, 1);
  ExpectOutput(
      "batch_norm", a, in.all(), {2},
      {static_cast<float>(0.9 * 1 + 0.1 * vu[0]), static_cast<float>(0.9 * 2 + 0.1 * vu[1])}, 2);
  a["momentum"] = 1.0;  // the running statistics become the batch's
  ExpectOutput("batch_norm", a, in.all(), {2},
               {static_cast<float>(vu[0]), static_cast<float>(vu[1])}, 2);
}

TEST(BatchNorm, InferenceUsesRunningStatisticsAndPassesThemThrough) {
  BnInputs in = SmallBatch();
  const double rm[2] = {0, 1}, rv[2] = {1, 2}, w[2] = {2, 1}, b[2] = {0.5, -1};
  const float xs[8] = {1, 2, 10, 10, 3, 4, 10, 14};
  std::vector<float> y(8);
  for (int i = 0; i < 8; ++i) {
    int c = (i / 2) % 2;
    y[static_cast<size_t>(i)] =
        static_cast<float>((xs[i] - rm[c]) / std::sqrt(rv[c] + 1e-5) * w[c] + b[c]);
  }
  ExpectOutput("batch_norm", {}, in.all(), {2, 2, 2}, y, 0);
  ExpectOutput("batch_norm", {}, in.all(), {2}, {0, 1}, 1);
  ExpectOutput("batch_norm", {}, in.all(), {2}, {1, 2}, 2);
}

TEST(BatchNorm, EmptyBatchInTrainingKeepsTheRunningStatistics) {
  BnInputs in = SmallBatch();
  in.x = Tensor::Zeros(DType::kF32, {0, 2, 3});
  ExpectOutput("batch_norm", {{"training", 1}}, in.all(), {2}, {0, 1}, 1);
  ExpectOutput("batch_norm", {{"training", 1}}, in.all(), {2}, {1, 2}, 2);
}

TEST(LayerNorm, EpsIsInsideTheSqrtOfTheBiasedVariance) {
  // Row 1, 2, 3, 4: mean 2.5, biased variance 1.25; with eps = 1 the divisor is sqrt(2.25) = 1.5.
  Tensor x = Tensor::FromVector<float>({1, 4}, {1, 2, 3, 4});
  ExpectOutput("layer_norm", {{"eps", 1.0}}, {x}, {1, 4}, {-1, -1.0f / 3, 1.0f / 3, 1});
  Tensor w = Tensor::FromVector<float>({4}, {1, 2, 3, 4});
  Tensor b = Tensor::FromVector<float>({4}, {0, 0, 1, 1});
  ExpectOutput("layer_norm", {{"eps", 1.0}}, {x, w, b}, {1, 4}, {-1, -2.0f / 3, 2, 5});
  // normalized_ndim 2 normalizes the whole (2, 2) block: the same numbers.
  Tensor x2 = Tensor::FromVector<float>({1, 2, 2}, {1, 2, 3, 4});
  ExpectOutput("layer_norm", {{"eps", 1.0}, {"normalized_ndim", 2}}, {x2}, {1, 2, 2},
               {-1, -1.0f / 3, 1.0f / 3, 1});
}

TEST(LayerNorm, LargeOffsetDoesNotLoseTheVariance) {
  // 1e4 + (-1, 1, -1, 1, ...): mean 1e4, variance 1, so y alternates -1, 1 (eps 0 here).
  std::vector<float> v(1000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 1e4f + (i % 2 ? 1.0f : -1.0f);
  std::vector<float> want(1000);
  for (size_t i = 0; i < want.size(); ++i) want[i] = i % 2 ? 1.0f : -1.0f;
  ExpectOutput("layer_norm", {{"eps", 0.0}}, {Tensor::FromVector<float>({1, 1000}, v)}, {1, 1000},
               want, 0, 1e-4);
}

std::vector<float> Mix(float p0, const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> out;
  for (size_t i = 0; i < a.size(); ++i) out.push_back(p0 * a[i] + (1 - p0) * b[i]);
  return out;
}

TEST(Attention, SoftmaxOfScaledScores) {
  // q = (1, 0); keys (1, 0) and (0, 1); default scale 1/sqrt(2): scores 1/sqrt(2) and 0.
  Tensor q = Tensor::FromVector<float>({1, 2}, {1, 0});
  Tensor k = Tensor::FromVector<float>({2, 2}, {1, 0, 0, 1});
  Tensor v = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  const double s = 1 / std::sqrt(2.0);
  float p0 = static_cast<float>(std::exp(s) / (std::exp(s) + 1));
  ExpectOutput("scaled_dot_product_attention", {}, {q, k, v}, {1, 2}, Mix(p0, {1, 2}, {3, 4}));
  // scale = 3 multiplies the scores: 3 and 0.
  p0 = static_cast<float>(std::exp(3.0) / (std::exp(3.0) + 1));
  ExpectOutput("scaled_dot_product_attention", {{"scale", 3.0}}, {q, k, v}, {1, 2},
               Mix(p0, {1, 2}, {3, 4}));
}

TEST(Attention, MasksCausalAlignmentAndFullyMaskedRows) {
  Tensor q = Tensor::FromVector<float>({3, 2}, {1, 0, 0, 1, 1, 1});
  Tensor k = Tensor::FromVector<float>({2, 2}, {0, 0, 0, 0});  // equal scores: plain averages
  Tensor v = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  // Causal is top-left aligned: query 0 sees key 0 only, queries 1 and 2 see both.
  ExpectOutput("scaled_dot_product_attention", {{"causal", 1}}, {q, k, v}, {3, 2},
               {1, 2, 2, 3, 2, 3});
  // Bool mask: true may attend. Row 0 sees key 1, row 1 both, row 2 nothing (gives 0).
  Tensor mb = Tensor::FromVector<bool>({3, 2}, {false, true, true, true, false, false});
  ExpectOutput("scaled_dot_product_attention", {}, {q, k, v, mb}, {3, 2}, {3, 4, 2, 3, 0, 0});
  // A float mask is added: -inf removes a key, log(3) triples its weight.
  const float ninf = -std::numeric_limits<float>::infinity();
  Tensor mf = Tensor::FromVector<float>({1, 2}, {ninf, std::log(3.0f)});
  ExpectOutput("scaled_dot_product_attention", {}, {q, k, v, mf}, {3, 2}, {3, 4, 3, 4, 3, 4});
  Tensor mf3 = Tensor::FromVector<float>({1, 2}, {0, std::log(3.0f)});
  ExpectOutput("scaled_dot_product_attention", {}, {q, k, v, mf3}, {3, 2},
               {2.5f, 3.5f, 2.5f, 3.5f, 2.5f, 3.5f});
  // Causal and a mask combine: row 0 may see key 0 only causally, and the mask forbids it.
  Tensor mb2 = Tensor::FromVector<bool>({1, 2}, {false, true});
  ExpectOutput("scaled_dot_product_attention", {{"causal", 1}}, {q, k, v, mb2}, {3, 2},
               {0, 0, 3, 4, 3, 4});
  // More keys than queries: query 0 still sees key 0 only (top-left, not bottom-right).
  Tensor q1 = Tensor::FromVector<float>({1, 2}, {1, 1});
  ExpectOutput("scaled_dot_product_attention", {{"causal", 1}}, {q1, k, v}, {1, 2}, {1, 2});
}

TEST(Attention, EmptyKeysGiveZerosAndEmptyFeaturesAverage) {
  Tensor q = Tensor::FromVector<float>({2, 1}, {1, 2});
  ExpectOutput("scaled_dot_product_attention", {},
               {q, Tensor::Zeros(DType::kF32, {0, 1}), Tensor::Zeros(DType::kF32, {0, 3})}, {2, 3},
               {0, 0, 0, 0, 0, 0});
  // E = 0: every score is 0, so each query averages the values.
  Tensor v = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  ExpectOutput("scaled_dot_product_attention", {},
               {Tensor::Zeros(DType::kF32, {1, 0}), Tensor::Zeros(DType::kF32, {2, 0}), v}, {1, 2},
               {2, 3});
}

// Outputs of 32 MiB and more take the fast kernels' streaming-store path, which the (smaller)
// conformance cases do not reach: it must agree with the reference and across thread counts.
TEST(NnLargeOutputs, StreamingStoresMatchTheReferenceAndAcrossThreads) {
  struct Case {
    std::string op;
    AttrMap attrs;
    std::vector<InputSpec> inputs;
  };
  const InputSpec c64 = Uniform(DType::kF32, {64}, 0.5, 2);
  const std::vector<Case> cases = {
      {"layer_norm", {}, {F32({8192, 1025}), F32({1025}), F32({1025})}},
      {"batch_norm", {}, {F32({8, 64, 128, 129}), c64, c64, c64, c64}},
      {"batch_norm", {{"training", 1}}, {F32({8, 64, 128, 129}), c64, c64, c64, c64}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    std::vector<Tensor> in;
    for (size_t i = 0; i < c.inputs.size(); ++i) in.push_back(MakeInput(c.inputs[i], 7 + i));
    const KernelRegistry& kernels = KernelRegistry::Global();
    const KernelEntry* ref = kernels.Find(c.op, DeviceKind::kCPU, DType::kF32, "ref");
    const KernelEntry* cpu = kernels.Find(c.op, DeviceKind::kCPU, DType::kF32, "cpu");
    ASSERT_TRUE(ref && cpu);
    std::vector<Tensor> want = RunKernel(*ref, c.op, c.attrs, in, 1);
    std::vector<Tensor> one = RunKernel(*cpu, c.op, c.attrs, in, 1);
    std::vector<Tensor> two = RunKernel(*cpu, c.op, c.attrs, in, 2);
    ASSERT_GE(one[0].nbytes(), size_t{32} << 20);
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ(Compare(one[k], want[k], 1e-4, 1e-5), "") << "output " << k;
      EXPECT_TRUE(BitwiseEqual(one[k], two[k])) << "output " << k;
    }
  }
}

TEST(NnShapes, SymbolicDimsFlowThrough) {
  const Dim n = Dim::Symbol("N"), t = Dim::Symbol("T"), h = Dim::Symbol("H");
  const OpRegistry& reg = OpRegistry::Global();
  auto infer = [&](const std::string& op, const AttrMap& attrs, std::vector<TensorType> in) {
    const OpSchema& s = reg.Get(op);
    return InferOutputTypes(s, ResolveAttributes(s, attrs), in, "n", "");
  };
  auto shape = [&](const std::string& op, const AttrMap& attrs, std::vector<TensorType> in) {
    return infer(op, attrs, std::move(in))[0].shape;
  };
  const AttrMap k2{{"kernel_size", IV({2})}};
  EXPECT_EQ(shape("max_pool2d", k2, {{DType::kF32, Shape{n, 3, 8, 8}}}), (Shape{n, 3, 4, 4}));
  const AttrMap k3{{"kernel_size", IV({3})}, {"padding", IV({1})}, {"stride", IV({1})}};
  EXPECT_EQ(shape("avg_pool2d", k3, {{DType::kF32, Shape{n, t, 8, 8}}}), (Shape{n, t, 8, 8}));
  EXPECT_EQ(shape("adaptive_avg_pool2d", {{"output_size", IV({2})}},
                  {{DType::kF32, Shape{n, 3, h, h}}}),
            (Shape{n, 3, 2, 2}));
  EXPECT_EQ(shape("layer_norm", {}, {{DType::kF32, Shape{n, t, 16}}, {DType::kF32, Shape{16}}}),
            (Shape{n, t, 16}));
  auto bn = infer("batch_norm", {{"training", 1}},
                  {{DType::kF32, Shape{n, 4, t}}, {DType::kF32, Shape{4}}, {DType::kF32, Shape{4}},
                   {DType::kF32, Shape{4}}, {DType::kF32, Shape{4}}});
  EXPECT_EQ(bn[0].shape, (Shape{n, 4, t}));
  EXPECT_EQ(bn[1].shape, (Shape{4}));
  EXPECT_EQ(infer("scaled_dot_product_attention", {{"causal", 1}},
                  {{DType::kF32, Shape{n, 8, t, 64}}, {DType::kF32, Shape{n, 8, t, 64}},
                   {DType::kF32, Shape{n, 8, t, 32}}, {DType::kBool, Shape{n, 1, 1, t}}})[0].shape,
            (Shape{n, 8, t, 32}));
}

// The attention kernel dispatches at run time to the best Highway target, and transposes the keys
// in 16 x 16 register blocks on AVX-512 but by gathers elsewhere: every attention case on every
// target this machine supports, against the reference.
TEST(AttentionTargets, EveryHighwayTargetMatchesTheReference) {
  RecordProperty("targets",
                 ExpectEveryHighwayTargetMatchesTheReference({"scaled_dot_product_attention"}));
}

TEST(NnSchemas, DocumentedAndDifferentiable) {
  for (const char* name : {"max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm",
                           "layer_norm", "scaled_dot_product_attention"}) {
    const OpSchema& s = OpRegistry::Global().Get(name);
    EXPECT_NE(s.doc.find("torch"), std::string::npos) << name;
    EXPECT_EQ(s.differentiability, Differentiability::kDifferentiable) << name;
    for (const AttrSpec& a : s.attrs) EXPECT_FALSE(a.doc.empty()) << name << "." << a.name;
  }
}

}  // namespace
}  // namespace bronze::testing
