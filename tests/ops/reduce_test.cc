// Focused tests of the reduce family's semantics that random conformance cases cannot show:
// values derived by hand or from the PyTorch definitions (computed here from first principles),
// symbolic shapes, empty reductions, NaN / inf / tie rules, numerical stability, the f64
// accumulation of f32 sums, results independent of the thread count, and the cpu kernels'
// layouts against the reference on random shapes and axis sets.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Runs `op` on `x` with each backend that has a kernel ("ref" and "cpu" where there is one) at
// `threads` threads; returns one output per backend.
std::vector<std::pair<std::string, Tensor>> RunAll(const std::string& op, const AttrMap& attrs,
                                                   const Tensor& x, int threads = 2) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const char* backend : {"ref", "cpu"}) {
    const KernelEntry* e = KernelRegistry::Global().Find(op, DeviceKind::kCPU, x.dtype(), backend);
    if (e) out.emplace_back(backend, RunKernel(*e, op, attrs, {x}, threads)[0]);
  }
  return out;
}

// Expects every backend's output to have `dims` and the `want` values (within a relative 1e-6;
// NaN matches NaN, infinities match exactly).
void ExpectValues(const std::string& op, const AttrMap& attrs, const Tensor& x, const Dims& dims,
                  const std::vector<double>& want) {
  for (const auto& [backend, y] : RunAll(op, attrs, x)) {
    SCOPED_TRACE(op + " on " + backend);
    ASSERT_EQ(y.dims(), dims);
    ASSERT_EQ(y.numel(), static_cast<int64_t>(want.size()));
    for (int64_t i = 0; i < y.numel(); ++i) {
      double g = y.GetAsDouble(i), w = want[static_cast<size_t>(i)];
      if (std::isnan(w)) {
        EXPECT_TRUE(std::isnan(g)) << "element " << i << ": got " << g;
      } else if (std::isinf(w)) {
        EXPECT_EQ(g, w) << "element " << i;
      } else {
        EXPECT_NEAR(g, w, 1e-6 * std::max(1.0, std::abs(w))) << "element " << i;
      }
    }
  }
}

Attribute Axes(std::vector<int64_t> a) { return Attribute(std::move(a)); }

// x[i][j][k] = i * 100 + j * 10 + k over (2, 3, 4): every reduction has a closed form.
Tensor Iota234() {
  std::vector<float> v;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) v.push_back(static_cast<float>(i * 100 + j * 10 + k));
  return Tensor::FromVector<float>({2, 3, 4}, v);
}

TEST(ReduceOps, SumMeanMaxMinOverAxisSetsMatchClosedForms) {
  Tensor x = Iota234();
  // Over axes (0, 2): sum_i sum_k (100 i + 10 j + k) = 4*100 + 8*10 j + 2*6 = 412 + 80 j.
  ExpectValues("reduce_sum", {{"axes", Axes({0, 2})}}, x, {3}, {412, 492, 572});
  ExpectValues("reduce_mean", {{"axes", Axes({0, -1})}}, x, {3}, {51.5, 61.5, 71.5});
  ExpectValues("reduce_max", {{"axes", Axes({0, 2})}, {"keepdims", 1}}, x, {1, 3, 1},
               {103, 113, 123});
  ExpectValues("reduce_min", {{"axes", Axes({1})}}, x, {2, 4}, {0, 1, 2, 3, 100, 101, 102, 103});
  // Every axis: mean = 100 * 0.5 + 10 * 1 + 1.5 = 61.5, sum = 24 * 61.5.
  ExpectValues("reduce_sum", {}, x, {}, {1476});
  ExpectValues("reduce_mean", {{"keepdims", 1}}, x, {1, 1, 1}, {61.5});
}

TEST(ReduceOps, ProdAndLogSumExpFollowTheirDefinitions) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, -1, 0.5f, 4});
  ExpectValues("reduce_prod", {{"axes", Axes({1})}}, x, {2}, {6, -2});
  ExpectValues("reduce_prod", {{"axes", Axes({0})}}, x, {3}, {-1, 1, 12});
  auto lse = [](std::vector<double> v) {
    double s = 0;
    for (double e : v) s += std::exp(e);
    return std::log(s);
  };
  ExpectValues("logsumexp", {{"axes", Axes({1})}}, x, {2}, {lse({1, 2, 3}), lse({-1, 0.5, 4})});
  // Stable for large inputs: log(2 e^1000) = 1000 + log 2, where exp itself overflows.
  Tensor big = Tensor::FromVector<float>({2, 2}, {1000, 1000, -1000, -1000});
  ExpectValues("logsumexp", {{"axes", Axes({1})}}, big, {2},
               {1000 + std::log(2.0), -1000 + std::log(2.0)});
  // torch.logsumexp: all -inf gives -inf, +inf gives +inf, NaN gives NaN.
  Tensor special = Tensor::FromVector<float>({3, 2}, {-kInf, -kInf, kInf, 1, kNaN, kInf});
  ExpectValues("logsumexp", {{"axes", Axes({1})}}, special, {3}, {-kInf, kInf, kNaN});
}

TEST(ReduceOps, EmptyReductionsGiveTheIdentityLikePyTorch) {
  Tensor x = Tensor::Zeros(DType::kF32, {2, 0});
  ExpectValues("reduce_sum", {{"axes", Axes({1})}}, x, {2}, {0, 0});
  ExpectValues("reduce_prod", {{"axes", Axes({1})}}, x, {2}, {1, 1});
  ExpectValues("reduce_mean", {{"axes", Axes({1})}}, x, {2}, {kNaN, kNaN});
  ExpectValues("logsumexp", {{"axes", Axes({1})}}, x, {2}, {-kInf, -kInf});
  EXPECT_THROW(OutputTypes("reduce_max", {{"axes", Axes({1})}}, {x}), ShapeError);
  EXPECT_THROW(OutputTypes("argmin", {{"axis", 1}}, {x}), ShapeError);
  // Reducing the non-empty axis of an empty tensor is fine for max too: an empty output.
  ExpectValues("reduce_max", {{"axes", Axes({0})}}, x, {0}, {});
}

TEST(ReduceOps, MaxAndMinPropagateNaNLikeAmax) {
  Tensor x = Tensor::FromVector<float>({2, 3}, {1, kNaN, 3, -kInf, 2, kInf});
  ExpectValues("reduce_max", {{"axes", Axes({1})}}, x, {2}, {kNaN, kInf});
  ExpectValues("reduce_min", {{"axes", Axes({1})}}, x, {2}, {kNaN, -kInf});
  ExpectValues("reduce_max", {{"axes", Axes({0})}}, x, {3}, {1, kNaN, kInf});
}

TEST(ReduceOps, ArgmaxAndArgminTakeTheFirstOccurrenceAndNaN) {
  Tensor ties = Tensor::FromVector<float>({2, 4}, {1, 3, 3, 2, 0, 0, -1, -1});
  ExpectValues("argmax", {{"axis", 1}}, ties, {2}, {1, 0});
  ExpectValues("argmin", {{"axis", 1}}, ties, {2}, {0, 2});
  ExpectValues("argmax", {{"axis", 0}, {"keepdims", 1}}, ties, {1, 4}, {0, 0, 0, 0});
  // NaN counts as the extreme for both (torch.argmax / torch.argmin), first NaN wins.
  Tensor nan = Tensor::FromVector<float>({5}, {1, kNaN, 5, kNaN, -7});
  ExpectValues("argmax", {{"axis", 0}}, nan, {}, {1});
  ExpectValues("argmin", {{"axis", 0}}, nan, {}, {1});
  Tensor all_neg_inf = Tensor::FromVector<float>({3}, {-kInf, -kInf, -kInf});
  ExpectValues("argmax", {{"axis", 0}}, all_neg_inf, {}, {0});
  ExpectValues("argmin", {{"axis", 0}}, all_neg_inf, {}, {0});
  // Ties across vector lanes and chunks: 0 1 2 ... 6 repeated; the max 6 first appears at 6,
  // the min 0 at 0, in every row of a long reduction.
  std::vector<float> v(2 * 100003);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i % 100003) % 7);
  Tensor long_ties = Tensor::FromVector<float>({2, 100003}, v);
  ExpectValues("argmax", {{"axis", 1}}, long_ties, {2}, {6, 6});
  ExpectValues("argmin", {{"axis", 1}}, long_ties, {2}, {0, 0});
  EXPECT_EQ(OutputTypes("argmax", {{"axis", 1}}, {ties})[0].dtype, DType::kI64);
}

TEST(ReduceOps, SoftmaxMatchesItsDefinitionAndIsShiftInvariant) {
  const double e1 = std::exp(1.0), e2 = std::exp(2.0), e3 = std::exp(3.0), s = e1 + e2 + e3;
  Tensor x = Tensor::FromVector<float>({1, 3}, {1, 2, 3});
  ExpectValues("softmax", {}, x, {1, 3}, {e1 / s, e2 / s, e3 / s});
  ExpectValues("log_softmax", {}, x, {1, 3}, {1 - std::log(s), 2 - std::log(s), 3 - std::log(s)});
  // Over axis 0 of a column: the same numbers.
  ExpectValues("softmax", {{"axis", 0}}, x.Reshaped({3, 1}), {3, 1}, {e1 / s, e2 / s, e3 / s});
  // Shifted by 1000 (exp would overflow without the max subtraction): unchanged.
  Tensor shifted = Tensor::FromVector<float>({1, 3}, {1001, 1002, 1003});
  ExpectValues("softmax", {}, shifted, {1, 3}, {e1 / s, e2 / s, e3 / s});
  // -inf entries get probability 0; a slice whose max is +inf or -inf, or that has NaN, is NaN.
  Tensor special = Tensor::FromVector<float>({4, 2}, {-kInf, 0, kInf, 1, -kInf, -kInf, kNaN, 1});
  ExpectValues("softmax", {}, special, {4, 2}, {0, 1, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN});
  ExpectValues("log_softmax", {}, special, {4, 2}, {-kInf, 0, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN});
}

// The cpu softmax uses its own exp for x - max <= 0 (Cephes' polynomial); check it over the whole
// range where exp is a normal float: rows [0, -t, ..., -t] (16 wide, so the vector path runs)
// have softmax e^-t / (1 + 15 e^-t) off the first column.
TEST(ReduceOps, SoftmaxIsAccurateOverTheWholeExpRange) {
  const int64_t rows = 20001, n = 16;
  std::vector<float> v(static_cast<size_t>(rows * n));
  for (int64_t r = 0; r < rows; ++r) {
    const float t =
        static_cast<float>(86.9 * static_cast<double>(r) / static_cast<double>(rows - 1));
    for (int64_t k = 0; k < n; ++k) v[static_cast<size_t>(r * n + k)] = k == 0 ? 0.0f : -t;
  }
  Tensor x = Tensor::FromVector<float>({rows, n}, v);
  for (const auto& [backend, y] : RunAll("softmax", {}, x)) {
    double worst = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const double e = std::exp(static_cast<double>(v[static_cast<size_t>(r * n + 1)]));
      const double want = e / (1 + 15 * e);
      worst = std::max(worst, std::abs(y.GetAsDouble(r * n + 1) - want) / want);
    }
    EXPECT_LT(worst, 5e-7) << backend;  // measured: 2.3e-7 on cpu, 6e-8 on ref
  }
}

TEST(ReduceOps, SoftmaxRowsSumToOne) {
  Tensor x = MakeInput(F32({50, 1000}), 7);
  for (const auto& [backend, y] : RunAll("softmax", {}, x)) {
    for (int64_t r = 0; r < 50; ++r) {
      double s = 0;
      for (int64_t k = 0; k < 1000; ++k) s += y.GetAsDouble(r * 1000 + k);
      EXPECT_NEAR(s, 1.0, 1e-5) << backend << " row " << r;
    }
  }
}

TEST(ReduceOps, F32SumsAccumulateInDouble) {
  // 2^20 copies of 0.1f: the double sum of these floats is exact, so the f32 result is the
  // correctly rounded value; naive f32 accumulation would drift by about 1%.
  const int64_t n = int64_t{1} << 20;
  Tensor x = Tensor::FromVector<float>({n}, std::vector<float>(static_cast<size_t>(n), 0.1f));
  const float want = static_cast<float>(static_cast<double>(n) * static_cast<double>(0.1f));
  for (const auto& [backend, y] : RunAll("reduce_sum", {}, x))
    EXPECT_EQ(y.data<float>()[0], want) << backend;
  for (const auto& [backend, y] : RunAll("reduce_mean", {}, x))
    EXPECT_EQ(y.data<float>()[0], 0.1f) << backend;
}

TEST(ReduceOps, IntegerSumsAndProductsWrapInTheInputDType) {
  Tensor x = Tensor::FromVector<int32_t>({2}, {1 << 30, 1 << 30});
  ExpectValues("reduce_sum", {}, x, {}, {-2147483648.0});
  Tensor p = Tensor::FromVector<int64_t>({3}, {-3, 5, 7});
  ExpectValues("reduce_prod", {}, p, {}, {-105});
  ExpectValues("reduce_max", {}, p, {}, {7});
  ExpectValues("argmin", {{"axis", 0}}, p, {}, {0});
}

TEST(ReduceOps, ShapesKeepSymbolicDims) {
  const Dim n = Dim::Symbol("N"), t = Dim::Symbol("T");
  auto infer = [](const std::string& op, const AttrMap& attrs, TensorType x) {
    const OpSchema& schema = OpRegistry::Global().Get(op);
    std::vector<TensorType> in{std::move(x)};
    return InferOutputTypes(schema, ResolveAttributes(schema, attrs), in, "node", "")[0];
  };
  TensorType x{DType::kF32, Shape{n, 3, t}};
  EXPECT_EQ(infer("reduce_sum", {{"axes", Axes({1})}}, x).shape, (Shape{n, t}));
  EXPECT_EQ(infer("reduce_mean", {{"axes", Axes({1})}, {"keepdims", 1}}, x).shape,
            (Shape{n, 1, t}));
  EXPECT_EQ(infer("logsumexp", {{"axes", Axes({0, 2})}}, x).shape, (Shape{3}));
  EXPECT_EQ(infer("reduce_max", {{"axes", Axes({-1})}}, x).shape, (Shape{n, 3}));
  EXPECT_EQ(infer("argmax", {{"axis", 0}, {"keepdims", 1}}, x),
            (TensorType{DType::kI64, Shape{1, 3, t}}));
  EXPECT_EQ(infer("softmax", {}, x), x);
  EXPECT_EQ(infer("log_softmax", {{"axis", 0}}, x), x);
}

// The cpu kernels' layout logic (dropping size-1 dims, merging groups, rows vs columns, tiles)
// against the reference on many random shapes and axis sets.
TEST(ReduceOps, CpuMatchesTheReferenceOnRandomShapesAndAxisSets) {
  std::mt19937_64 rng(2024);
  const int64_t sizes[] = {1, 1, 2, 3, 5, 8, 17, 33, 600};
  int checked = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int rank = static_cast<int>(rng() % 5);
    Dims dims;
    int64_t numel = 1;
    for (int k = 0; k < rank; ++k) {
      int64_t d = sizes[rng() % 9];
      if (numel * d > 200000) d = 1;
      dims.push_back(d);
      numel *= d;
    }
    std::vector<int64_t> axes;
    for (int k = 0; k < rank; ++k) {
      if (rng() % 2) axes.push_back(rng() % 2 ? k : k - rank);
    }
    const AttrMap attrs = {{"axes", Axes(axes)}, {"keepdims", static_cast<int64_t>(rng() % 2)}};
    const Tensor x = MakeInput(Uniform(DType::kF32, dims, 0.9, 1.1), trial);
    for (const char* op :
         {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "logsumexp"}) {
      SCOPED_TRACE(std::string(op) + " on " + DimsToString(dims) + " axes " + Axes(axes).ToText());
      auto outs = RunAll(op, attrs, x, 2);
      ASSERT_EQ(outs.size(), 2u);
      EXPECT_EQ(Compare(outs[1].second, outs[0].second, 1e-5, 1e-6), "");
      ++checked;
    }
    if (rank > 0) {
      const AttrMap one = {{"axis", static_cast<int64_t>(rng() % rank)}};
      for (const char* op : {"argmax", "argmin", "softmax", "log_softmax"}) {
        SCOPED_TRACE(std::string(op) + " on " + DimsToString(dims) + " axis " +
                     one.at("axis").ToText());
        auto outs = RunAll(op, one, x, 2);
        ASSERT_EQ(outs.size(), 2u);
        EXPECT_EQ(Compare(outs[1].second, outs[0].second, 1e-5, 1e-6), "");
      }
    }
  }
  EXPECT_EQ(checked, 1800);
}

// Results must not depend on the thread count (the chunk cut depends on the size only), also on
// the chunked paths and the mixed-group layouts.
TEST(ReduceOps, ChunkedAndMixedLayoutsAreBitwiseIdenticalAt1And2Threads) {
  struct Case {
    const char* op;
    AttrMap attrs;
    Dims dims;
  };
  const std::vector<Case> cases = {
      {"reduce_sum", {}, {1 << 20}},
      {"reduce_sum", {{"axes", Axes({0})}}, {1 << 16, 5}},
      {"reduce_mean", {{"axes", Axes({0, 2})}}, {64, 3, 4096}},
      {"reduce_prod", {{"axes", Axes({1})}}, {2, 300000}},
      {"logsumexp", {}, {500000}},
      {"reduce_max", {{"axes", Axes({0})}}, {200000, 3}},
      {"argmax", {{"axis", 0}}, {400000}},
      {"argmin", {{"axis", 0}}, {100000, 7}},
      {"softmax", {}, {2, 300000}},
      {"log_softmax", {{"axis", 0}}, {1000, 300}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    Tensor x =
        MakeInput(c.op == std::string("reduce_prod") ? Uniform(DType::kF32, c.dims, 0.999, 1.001)
                                                     : F32(c.dims),
                  3);
    const KernelEntry* e =
        KernelRegistry::Global().Find(c.op, DeviceKind::kCPU, DType::kF32, "cpu");
    ASSERT_NE(e, nullptr);
    Tensor one = RunKernel(*e, c.op, c.attrs, {x}, 1)[0];
    Tensor two = RunKernel(*e, c.op, c.attrs, {x}, 2)[0];
    EXPECT_TRUE(BitwiseEqual(one, two));
  }
}

}  // namespace
}  // namespace bronze::testing
