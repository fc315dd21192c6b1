// Focused tests of the binary elementwise ops, with expected values derived in the test from
// the PyTorch / C99 definitions (not from a reference run): broadcasting layouts, C's pow
// special cases and accuracy, integer pow / div / wrap-around, NaN propagation of maximum and
// minimum, IEEE comparisons, where's selection, symbolic shape inference, the broadcast loop
// plans of the fast kernels, and every fast kernel on every Highway target this CPU supports.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "hwy/targets.h"
#include "kernels/cpu/elementwise_loop.h"
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Runs `op` on `inputs` with the kernel of `backend` ("ref" or "cpu") for the dispatch dtype.
Tensor RunOp(const std::string& op, const std::vector<Tensor>& inputs, const std::string& backend,
             int threads = 1) {
  const OpSchema& schema = OpRegistry::Global().Get(op);
  const DType d = inputs.at(static_cast<size_t>(schema.dispatch_input)).dtype();
  const KernelEntry* e = KernelRegistry::Global().Find(op, DeviceKind::kCPU, d, backend);
  if (!e) throw NotFoundError("no " + backend + " kernel for " + op);
  return RunKernel(*e, op, {}, inputs, threads).at(0);
}

std::vector<std::string> Backends(const std::string& op, DType d) {
  std::vector<std::string> out = {"ref"};
  if (KernelRegistry::Global().Find(op, DeviceKind::kCPU, d, "cpu")) out.push_back("cpu");
  return out;
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

bool SameFloat(float a, float b) {  // bitwise, except any NaN matches any NaN
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof(float)) == 0;
}

// Distance in units in the last place between two finite floats of the same sign.
int64_t UlpDistance(float a, float b) {
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return std::abs(static_cast<int64_t>(ia) - static_cast<int64_t>(ib));
}

TEST(BinaryElementwise, BroadcastsRowsColumnsAndScalarsLikeNumPy) {
  Tensor m = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor row = Tensor::FromVector<float>({3}, {10, 20, 30});
  Tensor col = Tensor::FromVector<float>({2, 1}, {100, 200});
  Tensor s = Tensor::Scalar<float>(0.5f);
  for (const std::string& b : Backends("sub", DType::kF32)) {
    SCOPED_TRACE(b);
    EXPECT_EQ(Values<float>(RunOp("sub", {m, row}, b)),
              (std::vector<float>{-9, -18, -27, -6, -15, -24}));
    EXPECT_EQ(Values<float>(RunOp("sub", {m, col}, b)),
              (std::vector<float>{-99, -98, -97, -196, -195, -194}));
    EXPECT_EQ(Values<float>(RunOp("sub", {col, m}, b)),
              (std::vector<float>{99, 98, 97, 196, 195, 194}));
    EXPECT_EQ(Values<float>(RunOp("sub", {s, m}, b)),
              (std::vector<float>{-0.5f, -1.5f, -2.5f, -3.5f, -4.5f, -5.5f}));
    Tensor outer = RunOp("mul", {col, row}, b);  // (2, 1) x (3,) -> (2, 3)
    EXPECT_EQ(outer.dims(), (Dims{2, 3}));
    EXPECT_EQ(Values<float>(outer), (std::vector<float>{1000, 2000, 3000, 2000, 4000, 6000}));
  }
}

TEST(BinaryElementwise, AlternatingBroadcastMatchesIndexArithmetic) {
  // a (2, 1, 3, 1), b (4, 1, 5): out[i, j, k, l] = a[i, 0, k, 0] * 1000 + b[j, 0, l].
  const Dims ad = {2, 1, 3, 1}, bd = {4, 1, 5};
  std::vector<float> av(6), bv(20);
  for (size_t i = 0; i < av.size(); ++i) av[i] = static_cast<float>(i + 1);
  for (size_t i = 0; i < bv.size(); ++i) bv[i] = static_cast<float>(i);
  Tensor a = Tensor::FromVector<float>(ad, av), b = Tensor::FromVector<float>(bd, bv);
  Tensor thousand = Tensor::Scalar<float>(1000.0f);
  for (const std::string& be : Backends("add", DType::kF32)) {
    SCOPED_TRACE(be);
    Tensor y = RunOp("add", {RunOp("mul", {a, thousand}, be), b}, be, 2);
    ASSERT_EQ(y.dims(), (Dims{2, 4, 3, 5}));
    const float* p = y.data<float>();
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 4; ++j)
        for (int k = 0; k < 3; ++k)
          for (int l = 0; l < 5; ++l) {
            float want =
                av[static_cast<size_t>(i * 3 + k)] * 1000 + bv[static_cast<size_t>(j * 5 + l)];
            ASSERT_EQ(p[((i * 4 + j) * 3 + k) * 5 + l], want) << i << j << k << l;
          }
  }
}

TEST(BinaryElementwise, PowFollowsCSpecialCases) {
  struct Case {
    float x, y, want;
  };
  const Case cases[] = {
      {kNaN, 0.0f, 1.0f},
      {kNaN, -0.0f, 1.0f},
      {1.0f, kNaN, 1.0f},
      {1.0f, kInf, 1.0f},
      {-1.0f, kInf, 1.0f},
      {-1.0f, -kInf, 1.0f},
      {kNaN, 2.0f, kNaN},
      {2.0f, kNaN, kNaN},
      {-1.0f, kNaN, kNaN},
      {-8.0f, 1.0f / 3, kNaN},
      {-2.0f, 0.5f, kNaN},
      {-2.0f, 3.0f, -8.0f},
      {-2.0f, 2.0f, 4.0f},
      {-2.0f, -1.0f, -0.5f},
      {-2.0f, -2.0f, 0.25f},
      {0.0f, -1.0f, kInf},
      {-0.0f, -1.0f, -kInf},
      {-0.0f, -2.0f, kInf},
      {-0.0f, -0.5f, kInf},
      {0.0f, 3.0f, 0.0f},
      {-0.0f, 3.0f, -0.0f},
      {-0.0f, 2.0f, 0.0f},
      {-0.0f, 0.5f, 0.0f},
      {0.0f, -kInf, kInf},
      {0.0f, kInf, 0.0f},
      {0.5f, -kInf, kInf},
      {0.5f, kInf, 0.0f},
      {-0.5f, kInf, 0.0f},
      {2.0f, -kInf, 0.0f},
      {2.0f, kInf, kInf},
      {-3.0f, kInf, kInf},
      {-3.0f, -kInf, 0.0f},
      {kInf, -1.0f, 0.0f},
      {kInf, 0.5f, kInf},
      {-kInf, -3.0f, -0.0f},
      {-kInf, -2.0f, 0.0f},
      {-kInf, 3.0f, -kInf},
      {-kInf, 2.0f, kInf},
      {-kInf, 0.5f, kInf},
      {-kInf, -0.5f, 0.0f},
      {2.0f, 128.0f, kInf},
      {2.0f, -151.0f, 0.0f},
      {2.0f, -149.0f, std::ldexp(1.0f, -149)},
      {2.0f, 10.0f, 1024.0f},
      {4.0f, 0.5f, 2.0f},
      {16777216.0f, 1.0f, 16777216.0f},
      {-5.0f, 16777216.0f, kInf},    // 2^24 is an even integer: no sign, and overflows
      {4097.0f, 2.0f, 16785408.0f},  // 4097^2 = 2^24 + 2^13 + 1 ties to even: squares are exact
      {-4097.0f, 2.0f, 16785408.0f},
  };
  std::vector<float> xs, ys;
  for (const Case& c : cases) xs.push_back(c.x), ys.push_back(c.y);
  const Dims n = {static_cast<int64_t>(xs.size())};
  for (const std::string& b : Backends("pow", DType::kF32)) {
    SCOPED_TRACE(b);
    std::vector<float> got = Values<float>(
        RunOp("pow", {Tensor::FromVector<float>(n, xs), Tensor::FromVector<float>(n, ys)}, b));
    for (size_t i = 0; i < xs.size(); ++i) {
      EXPECT_TRUE(SameFloat(got[i], cases[i].want))
          << "pow(" << xs[i] << ", " << ys[i] << ") = " << got[i] << ", want " << cases[i].want;
    }
  }
}

TEST(BinaryElementwise, PowF32IsWithinOneUlpOfTheDoubleResult) {
  // Bases over many magnitudes (and signs, with integer exponents), exponents up to where
  // results overflow: the f32 result must be the double-precision power rounded, within 1 ulp.
  std::vector<float> xs, ys;
  uint32_t s = 7;
  auto next = [&] {
    s = s * 1664525u + 1013904223u;
    return static_cast<double>(s >> 8) / (1 << 24);
  };
  for (int i = 0; i < 20000; ++i) {
    double x = std::exp((next() - 0.5) * 40);  // about 2e-9 to 5e8
    double y = (next() - 0.5) * 8;
    if (i % 4 == 0) {
      x = -x;
      y = std::round(y * 3);
    }
    xs.push_back(static_cast<float>(x));
    ys.push_back(static_cast<float>(y));
  }
  const Dims n = {static_cast<int64_t>(xs.size())};
  for (const std::string& b : Backends("pow", DType::kF32)) {
    SCOPED_TRACE(b);
    std::vector<float> got = Values<float>(
        RunOp("pow", {Tensor::FromVector<float>(n, xs), Tensor::FromVector<float>(n, ys)}, b, 2));
    int64_t worst = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const float want =
          static_cast<float>(std::pow(static_cast<double>(xs[i]), static_cast<double>(ys[i])));
      if (std::isinf(want) || want == 0 || std::fpclassify(want) == FP_SUBNORMAL) {
        EXPECT_TRUE(SameFloat(got[i], want) || UlpDistance(got[i], want) <= 1)
            << xs[i] << " ** " << ys[i];
        continue;
      }
      worst = std::max(worst, UlpDistance(got[i], want));
    }
    EXPECT_LE(worst, 1);
  }
}

TEST(BinaryElementwise, IntegerPowIsExactAndWrapsAround) {
  // 3^21 = 10460353203 overflows i32: the result is that product modulo 2^32.
  uint32_t wrapped = 1;
  for (int i = 0; i < 21; ++i) wrapped *= 3u;
  Tensor x = Tensor::FromVector<int32_t>({6}, {3, -2, 0, 7, -1, 3});
  Tensor y = Tensor::FromVector<int32_t>({6}, {4, 3, 0, 1, 5, 21});
  EXPECT_EQ(Values<int32_t>(RunOp("pow", {x, y}, "ref")),
            (std::vector<int32_t>{81, -8, 1, 7, -1, static_cast<int32_t>(wrapped)}));
  Tensor x64 = Tensor::FromVector<int64_t>({2}, {2, -2});
  Tensor y64 = Tensor::FromVector<int64_t>({2}, {63, 63});
  EXPECT_EQ(Values<int64_t>(RunOp("pow", {x64, y64}, "ref")),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::min()}));
  try {
    RunOp("pow", {Tensor::FromVector<int64_t>({1}, {5}), Tensor::FromVector<int64_t>({1}, {-2})},
          "ref");
    ADD_FAILURE() << "negative integer exponent accepted";
  } catch (const InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("5 ** -2"), std::string::npos) << e.what();
  }
}

TEST(BinaryElementwise, IntegerArithmeticTruncatesAndWraps) {
  // torch.div(rounding_mode='trunc'): toward zero.
  Tensor a = Tensor::FromVector<int32_t>({4}, {7, -7, 7, -7});
  Tensor b = Tensor::FromVector<int32_t>({4}, {2, 2, -2, -2});
  EXPECT_EQ(Values<int32_t>(RunOp("div", {a, b}, "ref")), (std::vector<int32_t>{3, -3, -3, 3}));
  const int32_t max = std::numeric_limits<int32_t>::max(),
                min = std::numeric_limits<int32_t>::min();
  Tensor big = Tensor::FromVector<int32_t>({2}, {max, min});
  EXPECT_EQ(Values<int32_t>(RunOp("add", {big, Tensor::Scalar<int32_t>(1)}, "ref")),
            (std::vector<int32_t>{min, min + 1}));
  EXPECT_EQ(Values<int32_t>(RunOp("sub", {big, Tensor::Scalar<int32_t>(1)}, "ref")),
            (std::vector<int32_t>{max - 1, max}));
  EXPECT_EQ(Values<int32_t>(RunOp("mul", {big, Tensor::Scalar<int32_t>(2)}, "ref")),
            (std::vector<int32_t>{-2, 0}));
}

TEST(BinaryElementwise, FloatDivisionByZeroIsIeee) {
  Tensor a = Tensor::FromVector<float>({4}, {1, -1, 0, kNaN});
  Tensor b = Tensor::FromVector<float>({4}, {0, 0, 0, 0});
  for (const std::string& be : Backends("div", DType::kF32)) {
    std::vector<float> y = Values<float>(RunOp("div", {a, b}, be));
    EXPECT_EQ(y[0], kInf);
    EXPECT_EQ(y[1], -kInf);
    EXPECT_TRUE(std::isnan(y[2]));
    EXPECT_TRUE(std::isnan(y[3]));
  }
}

TEST(BinaryElementwise, MaximumAndMinimumPropagateNaNAndReturnBOnTies) {
  Tensor a = Tensor::FromVector<float>({6}, {kNaN, 1, kNaN, 0.0f, -0.0f, -kInf});
  Tensor b = Tensor::FromVector<float>({6}, {1, kNaN, kNaN, -0.0f, 0.0f, 3});
  for (const std::string& be : Backends("maximum", DType::kF32)) {
    SCOPED_TRACE(be);
    std::vector<float> mx = Values<float>(RunOp("maximum", {a, b}, be));
    std::vector<float> mn = Values<float>(RunOp("minimum", {a, b}, be));
    const std::vector<float> want_max = {kNaN, kNaN, kNaN, -0.0f, 0.0f, 3};
    const std::vector<float> want_min = {kNaN, kNaN, kNaN, -0.0f, 0.0f, -kInf};
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_TRUE(SameFloat(mx[i], want_max[i])) << i << ": " << mx[i];
      EXPECT_TRUE(SameFloat(mn[i], want_min[i])) << i << ": " << mn[i];
    }
  }
  Tensor ia = Tensor::FromVector<int64_t>({3}, {-5, 4, 9});
  Tensor ib = Tensor::FromVector<int64_t>({3}, {2, 4, -9});
  EXPECT_EQ(Values<int64_t>(RunOp("maximum", {ia, ib}, "ref")), (std::vector<int64_t>{2, 4, 9}));
  EXPECT_EQ(Values<int64_t>(RunOp("minimum", {ia, ib}, "ref")), (std::vector<int64_t>{-5, 4, -9}));
}

TEST(BinaryElementwise, ComparisonsAreIeeeAndGiveBool) {
  Tensor a = Tensor::FromVector<float>({5}, {kNaN, 0.0f, 1.0f, 2.0f, -kInf});
  Tensor b = Tensor::FromVector<float>({5}, {kNaN, -0.0f, 2.0f, 1.0f, -kInf});
  for (const std::string& be : Backends("equal", DType::kF32)) {
    SCOPED_TRACE(be);
    Tensor eq = RunOp("equal", {a, b}, be);
    ASSERT_EQ(eq.dtype(), DType::kBool);
    EXPECT_EQ(Values<bool>(eq), (std::vector<bool>{false, true, false, false, true}));
    EXPECT_EQ(Values<bool>(RunOp("less", {a, b}, be)),
              (std::vector<bool>{false, false, true, false, false}));
    EXPECT_EQ(Values<bool>(RunOp("greater", {a, b}, be)),
              (std::vector<bool>{false, false, false, true, false}));
  }
  Tensor p = Tensor::FromVector<bool>({4}, {false, false, true, true});
  Tensor q = Tensor::FromVector<bool>({4}, {false, true, false, true});
  for (const std::string& be : Backends("less", DType::kBool)) {
    SCOPED_TRACE(be);
    EXPECT_EQ(Values<bool>(RunOp("equal", {p, q}, be)),
              (std::vector<bool>{true, false, false, true}));
    EXPECT_EQ(Values<bool>(RunOp("less", {p, q}, be)),
              (std::vector<bool>{false, true, false, false}));
    EXPECT_EQ(Values<bool>(RunOp("greater", {p, q}, be)),
              (std::vector<bool>{false, false, true, false}));
    EXPECT_EQ(Values<bool>(RunOp("logical_and", {p, q}, be)),
              (std::vector<bool>{false, false, false, true}));
    EXPECT_EQ(Values<bool>(RunOp("logical_or", {p, q}, be)),
              (std::vector<bool>{false, true, true, true}));
  }
}

TEST(BinaryElementwise, WhereSelectsWithoutPropagatingTheOtherOperand) {
  // cond (2, 1), a (3,), b (2, 3): out[i, j] = cond[i] ? a[j] : b[i, j].
  Tensor cond = Tensor::FromVector<bool>({2, 1}, {true, false});
  Tensor a = Tensor::FromVector<float>({3}, {1, kNaN, 3});
  Tensor b = Tensor::FromVector<float>({2, 3}, {kNaN, kNaN, kNaN, 4, 5, 6});
  for (const std::string& be : Backends("where", DType::kF32)) {
    SCOPED_TRACE(be);
    Tensor y = RunOp("where", {cond, a, b}, be);
    ASSERT_EQ(y.dims(), (Dims{2, 3}));
    std::vector<float> v = Values<float>(y);
    EXPECT_EQ(v[0], 1);
    EXPECT_TRUE(std::isnan(v[1]));
    EXPECT_EQ(v[2], 3);
    EXPECT_EQ((std::vector<float>(v.begin() + 3, v.end())), (std::vector<float>{4, 5, 6}));
  }
}

TEST(BinaryElementwise, ShapeInferenceKeepsSymbolicDims) {
  const Dim n = Dim::Symbol("N"), t = Dim::Symbol("T");
  auto infer = [](const std::string& op, std::vector<TensorType> in) {
    const OpSchema& s = OpRegistry::Global().Get(op);
    return InferOutputTypes(s, ResolveAttributes(s, {}), in, "node", "").at(0);
  };
  EXPECT_EQ(infer("add", {{DType::kF32, {n, 3}}, {DType::kF32, {3}}}).ToString(), "f32[N, 3]");
  EXPECT_EQ(infer("pow", {{DType::kF32, {n, 1}}, {DType::kF32, {1, t}}}).ToString(), "f32[N, T]");
  EXPECT_EQ(infer("less", {{DType::kI64, {n * t}}, {DType::kI64, {}}}).ToString(), "bool[N*T]");
  EXPECT_EQ(infer("logical_or", {{DType::kBool, {n, 1, 4}}, {DType::kBool, {t, 1}}}).ToString(),
            "bool[N, T, 4]");
  EXPECT_EQ(
      infer("where", {{DType::kBool, {n, 1}}, {DType::kI64, {1, t}}, {DType::kI64, {}}}).ToString(),
      "i64[N, T]");
}

TEST(BinaryElementwise, BroadcastLoopsMergeContiguousDims) {
  using cpu::MakeBroadcastLoop;
  {  // same shape: one run over everything
    std::vector<Dims> in = {{4, 5, 6}, {4, 5, 6}};
    cpu::BroadcastLoop l = MakeBroadcastLoop({4, 5, 6}, in);
    EXPECT_EQ(l.inner, 120);
    EXPECT_TRUE(l.outer.empty());
    EXPECT_EQ(l.StepMask(), 3u);
  }
  {  // scalar operand: one run, b stays put
    std::vector<Dims> in = {{4, 5}, {}};
    cpu::BroadcastLoop l = MakeBroadcastLoop({4, 5}, in);
    EXPECT_EQ(l.inner, 20);
    EXPECT_TRUE(l.outer.empty());
    EXPECT_EQ(l.StepMask(), 1u);
  }
  {  // [M, N] op [N]: M runs of N, b rewinds each row
    std::vector<Dims> in = {{2, 3, 7}, {7}};
    cpu::BroadcastLoop l = MakeBroadcastLoop({2, 3, 7}, in);
    EXPECT_EQ(l.inner, 7);
    EXPECT_EQ(l.outer, (Dims{6}));
    EXPECT_EQ(l.outer_strides[0], (std::vector<int64_t>{7}));
    EXPECT_EQ(l.outer_strides[1], (std::vector<int64_t>{0}));
    EXPECT_EQ(l.StepMask(), 3u);
  }
  {  // [N, C, H, W] op [C, 1, 1]: runs of H*W, b fixed per run
    std::vector<Dims> in = {{2, 3, 4, 5}, {3, 1, 1}};
    cpu::BroadcastLoop l = MakeBroadcastLoop({2, 3, 4, 5}, in);
    EXPECT_EQ(l.inner, 20);
    EXPECT_EQ(l.outer, (Dims{2, 3}));
    EXPECT_EQ(l.outer_strides[0], (std::vector<int64_t>{60, 20}));
    EXPECT_EQ(l.outer_strides[1], (std::vector<int64_t>{0, 1}));
    EXPECT_EQ(l.StepMask(), 1u);
  }
  {  // size-1 dims are dropped; where's three operands
    std::vector<Dims> in = {{1, 4, 1}, {1, 1, 5}, {4, 5}};
    cpu::BroadcastLoop l = MakeBroadcastLoop({1, 4, 5}, in);
    EXPECT_EQ(l.inner, 5);
    EXPECT_EQ(l.outer, (Dims{4}));
    EXPECT_EQ(l.outer_strides[0], (std::vector<int64_t>{1}));
    EXPECT_EQ(l.outer_strides[1], (std::vector<int64_t>{0}));
    EXPECT_EQ(l.outer_strides[2], (std::vector<int64_t>{5}));
    EXPECT_EQ(l.StepMask(), 6u);
  }
}

// Every fast kernel on every Highway target compiled in and supported here (AVX-512, AVX2,
// SSE4, ...), against the reference kernel, on a broadcast that hits full vectors, tails,
// mid-row thread splits and every operand step pattern.
TEST(BinaryElementwise, FastKernelsAgreeWithTheReferenceOnEveryHighwayTarget) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  Tensor fa = MakeInput(Uniform(DType::kF32, {9, 1, 2053}, 0.1, 3), 1);
  Tensor fb = MakeInput(F32({1, 5, 2053}), 2);
  Tensor fcol = MakeInput(F32({9, 5, 1}), 3);
  Tensor ba = MakeInput(Bools({9, 1, 2053}), 4);
  Tensor bb = MakeInput(Bools({1, 5, 2053}), 5);
  Tensor bcol = MakeInput(Bools({9, 5, 1}), 6);
  struct Call {
    std::string op;
    std::vector<Tensor> in;
  };
  std::vector<Call> calls;
  for (const char* op :
       {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "equal", "less", "greater"}) {
    calls.push_back({op, {fa, fb}});
    calls.push_back({op, {fcol, fa}});
  }
  for (const char* op : {"equal", "less", "greater", "logical_and", "logical_or"}) {
    calls.push_back({op, {ba, bb}});
    calls.push_back({op, {bcol, ba}});
  }
  calls.push_back({"where", {ba, fa, fcol}});
  calls.push_back({"where", {bcol, fb, fa}});
  calls.push_back({"where", {bb, ba, bcol}});
  for (int64_t target : targets) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    for (const Call& c : calls) {
      SCOPED_TRACE(c.op + " " + std::string(DTypeName(c.in[1].dtype())));
      Tensor want = RunOp(c.op, c.in, "ref");
      Tensor got = RunOp(c.op, c.in, "cpu", 2);
      EXPECT_EQ(Compare(got, want, c.op == "pow" ? 1e-6 : 0, 0), "");
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  std::string names;
  for (int64_t target : targets)
    names += std::string(names.empty() ? "" : " ") + hwy::TargetName(target);
  RecordProperty("highway_targets", names);
}

}  // namespace
}  // namespace bronze::testing
