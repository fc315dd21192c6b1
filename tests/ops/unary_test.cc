// Focused tests of the unary ops' semantics (graph/ops/unary.cc), beyond the random conformance
// cases: every f32 kernel (ref and cpu) against the defining formula evaluated in double in this
// file, over a wide range including saturation, measured in ulps; special values (NaN, +-inf,
// +-0, denormals) against hand-derived results; leaky_relu, clip, cast and integer wrap-around
// against torch semantics derived from first principles; symbolic dims through the shape
// functions.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <numbers>

#include "hwy/targets.h"
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Runs `op` on `x` with the kernel of `backend` ("ref" or "cpu") at 2 threads.
Tensor RunOp(const std::string& op, const std::string& backend, const Tensor& x,
             const AttrMap& attrs = {}) {
  const KernelEntry* e = KernelRegistry::Global().Find(op, DeviceKind::kCPU, x.dtype(), backend);
  if (!e) throw std::runtime_error("no " + backend + " kernel for " + op);
  return RunKernel(*e, op, attrs, {x}, 2)[0];
}

// The spacing of floats at |v| (denormal spacing below the normal range).
double UlpOf(double v) {
  const double a = std::fabs(v);
  if (a < std::numeric_limits<float>::min()) return std::ldexp(1.0, -149);
  int e = 0;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  return std::ldexp(1.0, e - 24);
}

// Inputs from -range to range: a dense grid plus every power of two and its negative.
std::vector<float> Grid(double range, double step) {
  std::vector<float> x;
  for (double v = -range; v <= range; v += step) x.push_back(static_cast<float>(v));
  for (int e = -149; e <= 127; ++e) {
    const double p = std::ldexp(1.0, e);
    if (p > range) break;
    x.push_back(static_cast<float>(p));
    x.push_back(static_cast<float>(-p));
  }
  return x;
}

struct Accuracy {
  double max_ulp = 0;
  float worst_x = 0;
};

// The largest error of `op` on `xs` against `exact` (double), in ulps of the exact value, past
// an absolute allowance `abs_allow(x)` (0: pure ulps).
Accuracy Measure(const std::string& op, const std::string& backend, const std::vector<float>& xs,
                 const std::function<double(double)>& exact, const AttrMap& attrs = {},
                 const std::function<double(double)>& abs_allow = nullptr) {
  Tensor x = Tensor::FromVector<float>({static_cast<int64_t>(xs.size())}, xs);
  Tensor y = RunOp(op, backend, x, attrs);
  Accuracy acc;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double want = exact(xs[i]);
    const double got = y.data<float>()[i];
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << op << "(" << xs[i] << ") = " << got << ", want NaN";
      continue;
    }
    const double want_f = static_cast<float>(want);  // the value as f32 (may be +-inf)
    if (std::isinf(want_f)) {
      EXPECT_EQ(got, want_f) << op << "(" << xs[i] << ")";
      continue;
    }
    double err = std::fabs(got - want);
    if (abs_allow) err = std::max(0.0, err - abs_allow(xs[i]));
    const double ulps = err / UlpOf(want);
    if (std::isnan(acc.max_ulp)) continue;  // keep the first NaN error
    if (!(ulps <= acc.max_ulp)) acc = {ulps, xs[i]};
  }
  return acc;
}

void ExpectAccurate(const std::string& op, const std::vector<float>& xs,
                    const std::function<double(double)>& exact, double cpu_ulps,
                    const AttrMap& attrs = {},
                    const std::function<double(double)>& abs_allow = nullptr) {
  // The reference kernel evaluates the formula in double and rounds once: within 0.5 ulp (plus
  // libm's error in double).
  Accuracy ref = Measure(op, "ref", xs, exact, attrs, abs_allow);
  EXPECT_LE(ref.max_ulp, 0.501) << op << " ref at x = " << ref.worst_x;
  Accuracy cpu = Measure(op, "cpu", xs, exact, attrs, abs_allow);
  EXPECT_LE(cpu.max_ulp, cpu_ulps) << op << " cpu at x = " << cpu.worst_x;
  ::testing::Test::RecordProperty(op + "_cpu_max_ulp", std::to_string(cpu.max_ulp));
}

// The checks that run kernels: each is a test of its own (on the best Highway target of this
// machine), and all of them run again on every Highway target compiled in and supported here,
// see EveryKernelCheckPassesOnEveryCompiledHighwayTarget below.
std::vector<std::pair<const char*, void (*)()>>& KernelChecks() {
  static auto* checks = new std::vector<std::pair<const char*, void (*)()>>();
  return *checks;
}

#define KERNEL_CHECK(Name)                               \
  void Name();                                           \
  [[maybe_unused]] const bool kernel_check_##Name =      \
      (KernelChecks().emplace_back(#Name, &Name), true); \
  TEST(UnaryOps, Name) { Name(); }                       \
  void Name()

const double kSqrt2OverPi = std::sqrt(2.0 / std::numbers::pi);

// The torch definitions, evaluated in double in a form without cancellation for x < 0 (in
// double, 1 + erf(x / sqrt 2) and 1 + tanh(u) lose every digit below x = -6):
// 1 + erf(t) = erfc(-t) and 0.5 * (1 + tanh(u)) = 1 / (1 + e^(-2u)).
double GeluErf(double x) { return 0.5 * x * std::erfc(-x / std::numbers::sqrt2); }
double GeluTanhU(double x) { return kSqrt2OverPi * (x + 0.044715 * x * x * x); }
double GeluTanh(double x) { return x / (1.0 + std::exp(-2.0 * GeluTanhU(x))); }

TEST(UnaryOps, GeluReferenceFormsEqualTheTorchFormulas) {
  // Where the torch formulas do not cancel, the rewritten forms agree with them to double
  // precision.
  for (double x = -3; x <= 6; x += 0.01) {
    EXPECT_NEAR(GeluErf(x), 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2)), 1e-14) << x;
    EXPECT_NEAR(GeluTanh(x), 0.5 * x * (1.0 + std::tanh(GeluTanhU(x))), 1e-14) << x;
  }
}
double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double Silu(double x) { return x / (1.0 + std::exp(-x)); }

KERNEL_CHECK(SigmoidIsAccurateInBothTailsAndSaturates) {
  // Relative accuracy also far in the left tail (e^x down to the denormals).
  ExpectAccurate("sigmoid", Grid(110, 0.0137), Sigmoid, 3.0);
  Tensor y =
      RunOp("sigmoid", "cpu", Tensor::FromVector<float>({4}, {20.0f, 40.0f, -200.0f, -kInf}));
  EXPECT_EQ(y.data<float>()[0], 1.0f);  // 1 - 2e-9 rounds to 1
  EXPECT_EQ(y.data<float>()[1], 1.0f);
  EXPECT_EQ(y.data<float>()[2], 0.0f);
  EXPECT_EQ(y.data<float>()[3], 0.0f);
}

KERNEL_CHECK(TanhIsAccurateAndSaturatesToExactlyOne) {
  ExpectAccurate(
      "tanh", Grid(30, 0.0031), [](double x) { return std::tanh(x); }, 4.0);
  for (const char* backend : {"ref", "cpu"}) {
    Tensor y = RunOp("tanh", backend, Tensor::FromVector<float>({4}, {9.5f, -9.5f, 1e30f, -kInf}));
    EXPECT_EQ(y.data<float>()[0], 1.0f) << backend;
    EXPECT_EQ(y.data<float>()[1], -1.0f) << backend;
    EXPECT_EQ(y.data<float>()[2], 1.0f) << backend;
    EXPECT_EQ(y.data<float>()[3], -1.0f) << backend;
  }
}

KERNEL_CHECK(ErfIsWithinOnePointThreeUlpsEverywhere) {
  // 1.1 ulps with FMA, 1.3 on the targets without (their MulAdd rounds twice).
  ExpectAccurate(
      "erf", Grid(6, 0.00071), [](double x) { return std::erf(x); }, 1.3);
}

// Where e^-|x| is denormal (x < -87) the cpu kernels' product x * e^x keeps the denormal's
// absolute precision only: |x| * 2^-149 is allowed on top of the ulps there. (PyTorch's f32
// formula returns -0 for all x < -88.7, where e^-x overflows.)
double DenormalProduct(double x) { return std::fabs(x) * std::ldexp(1.0, -149); }

KERNEL_CHECK(SiluMatchesXTimesSigmoid) {
  // x / (1 + e^-x) is accurate to a few ulps everywhere, also where it is tiny (x << 0).
  ExpectAccurate("silu", Grid(110, 0.0137), Silu, 3.0, {}, DenormalProduct);
}

KERNEL_CHECK(GeluErfFormMatchesTorchDefinition) {
  // PyTorch's f32 formula 0.5 * x * (1 + erf(x / sqrt 2)) cancels for negative x: the error there
  // is about |x| * 2^-25 absolute (the rounding of 1 + erf near 0), which the test allows on
  // top of the ulps.
  auto cancellation = [](double x) { return x < 0 ? -x * std::ldexp(1.0, -24) : 0.0; };
  ExpectAccurate("gelu", Grid(12, 0.0023), GeluErf, 3.0, {}, cancellation);
  ExpectAccurate("gelu", Grid(12, 0.0023), GeluErf, 3.0, {{"approximate", "none"}}, cancellation);
}

KERNEL_CHECK(GeluTanhFormMatchesTorchDefinitionWithoutCancellation) {
  // The cpu kernel evaluates x / (1 + e^(-2u)), the same function as 0.5 x (1 + tanh u) but
  // accurate to a few ulps also for negative x.
  // For x < 0 the result is x e^(-|2u|) / (1 + e^(-|2u|)) and the kernel rounds 2u to f32 before
  // the exp: a relative error of about 2|2u| ulps (it reaches ~170 ulps at x = -10, where the
  // result is 1e-36). That is allowed on top, as is the denormal product.
  auto rounded_exponent = [](double x) {
    return x < 0 ? std::fabs(GeluTanh(x) * 2.0 * GeluTanhU(x)) * std::ldexp(1.0, -22) +
                       DenormalProduct(x)
                 : 0.0;
  };
  ExpectAccurate("gelu", Grid(14, 0.0023), GeluTanh, 4.0, {{"approximate", "tanh"}},
                 rounded_exponent);
  // sqrt(2/pi) and 0.044715 are the torch constants: gelu_tanh(1) = 0.5 (1 + tanh(0.8343...)).
  const double want = 0.5 * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * 1.044715));
  Tensor y =
      RunOp("gelu", "cpu", Tensor::FromVector<float>({1}, {1.0f}), {{"approximate", "tanh"}});
  EXPECT_NEAR(y.data<float>()[0], want, 1e-7);
  EXPECT_GT(std::fabs(want - GeluErf(1.0)), 1e-4) << "the two forms are different functions";
}

KERNEL_CHECK(GeluAndSiluOfInfinitiesFollowTorchFormulas) {
  for (const char* backend : {"ref", "cpu"}) {
    SCOPED_TRACE(backend);
    for (const char* form : {"none", "tanh"}) {
      Tensor y = RunOp("gelu", backend, Tensor::FromVector<float>({4}, {kInf, -kInf, -1e20f, kNaN}),
                       {{"approximate", form}});
      EXPECT_EQ(y.data<float>()[0], kInf) << form;
      EXPECT_TRUE(std::isnan(y.data<float>()[1])) << form << ": -inf * 0";
      EXPECT_EQ(y.data<float>()[2], 0.0f) << form;
      EXPECT_TRUE(std::signbit(y.data<float>()[2])) << form << ": -1e20 * 0 is -0";
      EXPECT_TRUE(std::isnan(y.data<float>()[3])) << form;
    }
    Tensor s = RunOp("silu", backend, Tensor::FromVector<float>({3}, {kInf, -kInf, kNaN}));
    EXPECT_EQ(s.data<float>()[0], kInf);
    EXPECT_TRUE(std::isnan(s.data<float>()[1])) << "-inf / inf";
    EXPECT_TRUE(std::isnan(s.data<float>()[2]));
  }
}

KERNEL_CHECK(ExpLogSinCosAreAccurateOverTheirRanges) {
  ExpectAccurate(
      "exp", Grid(88, 0.0071), [](double x) { return std::exp(x); }, 2.0);
  std::vector<float> positive;
  for (float v : Grid(1e30, 1e27)) {
    if (v > 0) positive.push_back(v);
  }
  for (float v = 0.5f; v < 2.0f; v += 0.000123f) positive.push_back(v);  // log near 1
  ExpectAccurate(
      "log", positive, [](double x) { return std::log(x); }, 4.0);
  // Highway's sin/cos reduce the argument with pi in four float parts: accurate to a few ulps
  // of 1 (not of the result near its zeros); the test allows 2^-24 absolute on top.
  auto tiny_abs = [](double) { return std::ldexp(1.0, -24); };
  ExpectAccurate(
      "sin", Grid(39000, 0.37), [](double x) { return std::sin(x); }, 4.0, {}, tiny_abs);
  ExpectAccurate(
      "cos", Grid(39000, 0.37), [](double x) { return std::cos(x); }, 4.0, {}, tiny_abs);
  // Beyond the vector range the scalar libm takes over: exact to the rounding.
  std::vector<float> big = {39001.0f, -1e6f, 1e20f, std::numeric_limits<float>::max()};
  ExpectAccurate(
      "sin", big, [](double x) { return std::sin(x); }, 0.501);
  ExpectAccurate(
      "cos", big, [](double x) { return std::cos(x); }, 0.501);
}

KERNEL_CHECK(SqrtReciprocalAreCorrectlyRoundedAndRsqrtWithinOneAndAHalfUlps) {
  std::vector<float> positive;
  for (float v : Grid(1e30, 1e27)) {
    if (v > 0) positive.push_back(v);
  }
  ExpectAccurate(
      "sqrt", positive, [](double x) { return std::sqrt(x); }, 0.5);
  ExpectAccurate(
      "reciprocal", Grid(1e30, 1e27), [](double x) { return 1.0 / x; }, 0.5);
  // Two correctly rounded operations (as PyTorch's 1 / sqrt(x)): below 1.5 ulps.
  ExpectAccurate(
      "rsqrt", positive, [](double x) { return 1.0 / std::sqrt(x); }, 1.5);
}

// Special values, hand-derived from IEEE and the PyTorch definitions; both backends.
KERNEL_CHECK(SpecialValuesFollowIeeeAndTorch) {
  const float denorm = 1e-40f;
  struct Expect {
    const char* op;
    float x;
    float want;  // NaN: want NaN; zeros compare with their sign
  };
  const Expect cases[] = {
      {"exp", -kInf, 0.0f},         {"exp", kInf, kInf},          {"exp", 89.0f, kInf},
      {"exp", -200.0f, 0.0f},       {"exp", kNaN, kNaN},          {"exp", denorm, 1.0f},
      {"log", 0.0f, -kInf},         {"log", -0.0f, -kInf},        {"log", -1.0f, kNaN},
      {"log", kInf, kInf},          {"log", 1.0f, 0.0f},          {"log", kNaN, kNaN},
      {"log", -kInf, kNaN},         {"sqrt", -0.0f, -0.0f},       {"sqrt", -1.0f, kNaN},
      {"sqrt", kInf, kInf},         {"rsqrt", 0.0f, kInf},        {"rsqrt", -0.0f, -kInf},
      {"rsqrt", kInf, 0.0f},        {"rsqrt", -4.0f, kNaN},       {"reciprocal", -0.0f, -kInf},
      {"reciprocal", -kInf, -0.0f}, {"sin", -0.0f, -0.0f},        {"sin", kInf, kNaN},
      {"sin", kNaN, kNaN},          {"cos", -kInf, kNaN},         {"cos", -0.0f, 1.0f},
      {"tanh", -0.0f, -0.0f},       {"tanh", kNaN, kNaN},         {"tanh", denorm, denorm},
      {"sigmoid", kNaN, kNaN},      {"sigmoid", kInf, 1.0f},      {"sigmoid", 0.0f, 0.5f},
      {"erf", -0.0f, -0.0f},        {"erf", kInf, 1.0f},          {"erf", -kInf, -1.0f},
      {"erf", kNaN, kNaN},          {"erf", 4.0f, 1.0f},          {"silu", -0.0f, -0.0f},
      {"neg", 0.0f, -0.0f},         {"neg", kNaN, kNaN},          {"abs", -0.0f, 0.0f},
      {"abs", -kInf, kInf},         {"relu", -0.0f, -0.0f},       {"relu", kNaN, kNaN},
      {"relu", -kInf, 0.0f},        {"leaky_relu", -0.0f, -0.0f}, {"leaky_relu", kNaN, kNaN},
      {"leaky_relu", -kInf, -kInf}, {"clip", kNaN, kNaN},         {"clip", -kInf, -kInf},
  };
  for (const char* backend : {"ref", "cpu"}) {
    for (const Expect& c : cases) {
      Tensor y = RunOp(c.op, backend, Tensor::FromVector<float>({1}, {c.x}));
      const float got = y.data<float>()[0];
      if (std::isnan(c.want)) {
        EXPECT_TRUE(std::isnan(got)) << backend << " " << c.op << "(" << c.x << ") = " << got;
      } else {
        EXPECT_EQ(got, c.want) << backend << " " << c.op << "(" << c.x << ")";
        EXPECT_EQ(std::signbit(got), std::signbit(c.want))
            << backend << " " << c.op << "(" << c.x << ") sign";
      }
    }
    // erf and sin of a denormal: 2/sqrt(pi) x and x.
    Tensor e = RunOp("erf", backend, Tensor::FromVector<float>({1}, {denorm}));
    EXPECT_NEAR(e.data<float>()[0], 2.0 / std::sqrt(std::numbers::pi) * denorm, 2e-45) << backend;
    Tensor l = RunOp("log", backend, Tensor::FromVector<float>({1}, {denorm}));
    EXPECT_NEAR(l.data<float>()[0], std::log(static_cast<double>(denorm)), 1e-5) << backend;
  }
}

KERNEL_CHECK(LeakyReluMultipliesBySlopeRoundedToF32) {
  for (double slope : {0.01, 0.2, -1.5, 3.0, 0.0}) {
    const float s = static_cast<float>(slope);
    std::vector<float> xs = {-3.0f, -0.1f, -1e-40f, 0.0f, 0.1f, 7.0f, -1e30f};
    for (const char* backend : {"ref", "cpu"}) {
      Tensor y = RunOp("leaky_relu", backend, Tensor::FromVector<float>({7}, xs),
                       {{"negative_slope", slope}});
      for (size_t i = 0; i < xs.size(); ++i) {
        const float want = xs[i] > 0 ? xs[i] : xs[i] * s;  // torch: x if x > 0 else x * slope
        EXPECT_EQ(y.data<float>()[i], want) << backend << " slope " << slope << " x " << xs[i];
      }
    }
  }
  // The default slope is 0.01.
  Tensor y = RunOp("leaky_relu", "cpu", Tensor::FromVector<float>({1}, {-2.0f}));
  EXPECT_EQ(y.data<float>()[0], -2.0f * 0.01f);
}

KERNEL_CHECK(ClipFollowsTorchClamp) {
  const std::vector<float> xs = {-2.0f, -1.0f, -0.5f, 0.3f, 1.0f, 2.0f, kNaN, kInf, -kInf};
  auto check = [&](const AttrMap& attrs, const std::vector<float>& want, const std::string& what) {
    for (const char* backend : {"ref", "cpu"}) {
      Tensor y = RunOp("clip", backend, Tensor::FromVector<float>({9}, xs), attrs);
      for (size_t i = 0; i < xs.size(); ++i) {
        const float got = y.data<float>()[i];
        if (std::isnan(want[i])) {
          EXPECT_TRUE(std::isnan(got)) << backend << " " << what << " at " << i;
        } else {
          EXPECT_EQ(got, want[i]) << backend << " " << what << " at " << i;
        }
      }
    }
  };
  check({{"min", -1.0}, {"max", 1.0}}, {-1, -1, -0.5f, 0.3f, 1, 1, kNaN, 1, -1}, "[-1, 1]");
  check({{"min", 0.0}}, {0, 0, 0, 0.3f, 1, 2, kNaN, kInf, 0}, "min only");
  check({{"max", 0.0}}, {-2, -1, -0.5f, 0, 0, 0, kNaN, 0, -kInf}, "max only");
  check({{"min", 1.0}, {"max", -1.0}}, {-1, -1, -1, -1, -1, -1, kNaN, -1, -1},
        "min > max: all max");
  check({{"min", std::numeric_limits<double>::quiet_NaN()}}, std::vector<float>(9, kNaN),
        "NaN bound: all NaN");

  // Integers keep their dtype; bounds at the dtype's edges and the no-bound infinities work.
  for (const char* backend : {"ref", "cpu"}) {
    Tensor i = RunOp("clip", backend, Tensor::FromVector<int32_t>({5}, {-7, -3, 0, 4, 9}),
                     {{"min", -3}, {"max", 4}});
    EXPECT_EQ(std::vector<int32_t>(i.data<int32_t>(), i.data<int32_t>() + 5),
              (std::vector<int32_t>{-3, -3, 0, 4, 4}))
        << backend;
    Tensor u = RunOp("clip", backend, Tensor::FromVector<uint8_t>({4}, {0, 17, 200, 255}),
                     {{"min", 10}, {"max", 255}});
    EXPECT_EQ(std::vector<uint8_t>(u.data<uint8_t>(), u.data<uint8_t>() + 4),
              (std::vector<uint8_t>{10, 17, 200, 255}))
        << backend;
    Tensor l = RunOp("clip", backend,
                     Tensor::FromVector<int64_t>({2}, {std::numeric_limits<int64_t>::min(), 5}),
                     {{"min", -9223372036854775808.0}});
    EXPECT_EQ(l.data<int64_t>()[0], std::numeric_limits<int64_t>::min()) << backend;
    EXPECT_EQ(l.data<int64_t>()[1], 5) << backend;
  }
}

template <typename To, typename From>
std::vector<To> CastVia(const std::string& backend, const std::vector<From>& xs) {
  Tensor y = RunOp("cast", backend, Tensor::FromVector<From>({static_cast<int64_t>(xs.size())}, xs),
                   {{"dtype", DTypeOf<To>::value}});
  const To* p = y.data<To>();
  return std::vector<To>(p, p + xs.size());
}

KERNEL_CHECK(CastTruncatesSaturatesAndWrapsAsDocumented) {
  for (const char* b : {"ref", "cpu"}) {
    SCOPED_TRACE(b);
    // Float to int: toward zero; NaN -> 0; beyond the range (and +-inf) -> max / min.
    const std::vector<float> f = {2.7f,  -2.7f, -0.5f, kNaN,         kInf,
                                  -kInf, 3e9f,  -3e9f, 2147483520.0f};
    EXPECT_EQ(CastVia<int32_t>(b, f),
              (std::vector<int32_t>{2, -2, 0, 0, 2147483647, -2147483647 - 1, 2147483647,
                                    -2147483647 - 1, 2147483520}));
    EXPECT_EQ(CastVia<int64_t>(b, f),
              (std::vector<int64_t>{2, -2, 0, 0, std::numeric_limits<int64_t>::max(),
                                    std::numeric_limits<int64_t>::min(), 3000000000, -3000000000,
                                    2147483520}));
    EXPECT_EQ(CastVia<uint8_t>(b, std::vector<float>{-1.0f, 300.0f, 255.9f, 0.99f, kNaN, 17.2f}),
              (std::vector<uint8_t>{0, 255, 255, 0, 0, 17}));
    EXPECT_EQ(CastVia<int32_t>(b, std::vector<double>{2147483647.9, -2147483648.9, 1e300}),
              (std::vector<int32_t>{2147483647, -2147483647 - 1, 2147483647}));
    // To bool: x != 0, so NaN is true and -0 false; from bool: 0 or 1.
    EXPECT_EQ(CastVia<bool>(b, std::vector<float>{0.0f, -0.0f, kNaN, 1e-40f, -3.0f}),
              (std::vector<bool>{false, false, true, true, true}));
    EXPECT_EQ(CastVia<bool>(b, std::vector<int64_t>{0, 256, -1}),
              (std::vector<bool>{false, true, true}));
    EXPECT_EQ(CastVia<float>(b, std::vector<bool>{true, false, true}),
              (std::vector<float>{1, 0, 1}));
    EXPECT_EQ(CastVia<int64_t>(b, std::vector<bool>{true, false}), (std::vector<int64_t>{1, 0}));
    // Integer to integer wraps modulo 2^bits, as PyTorch (C) conversions do.
    EXPECT_EQ(CastVia<uint8_t>(b, std::vector<int64_t>{300, -1, 256, 255}),
              (std::vector<uint8_t>{44, 255, 0, 255}));
    EXPECT_EQ(CastVia<int32_t>(b, std::vector<int64_t>{4294967297, 2147483648}),
              (std::vector<int32_t>{1, -2147483647 - 1}));
    EXPECT_EQ(CastVia<int32_t>(b, std::vector<uint8_t>{200, 0}), (std::vector<int32_t>{200, 0}));
    // To float: round to nearest even; f64 -> f32 overflows to inf and underflows to 0.
    EXPECT_EQ(CastVia<float>(b, std::vector<int64_t>{16777217, 16777219, -16777217}),
              (std::vector<float>{16777216.0f, 16777220.0f, -16777216.0f}));
    EXPECT_EQ(CastVia<float>(b, std::vector<int32_t>{16777217, -7}),
              (std::vector<float>{16777216.0f, -7.0f}));
    EXPECT_EQ(CastVia<float>(b, std::vector<double>{1e300, -1e300, 1e-300, 0.1}),
              (std::vector<float>{kInf, -kInf, 0.0f, 0.1f}));
    EXPECT_EQ(CastVia<double>(b, std::vector<float>{0.1f, -kInf}),
              (std::vector<double>{0.1f, -kInf}));
  }
}

KERNEL_CHECK(IntegerNegAndAbsWrapLikeTorch) {
  const int32_t min32 = std::numeric_limits<int32_t>::min();
  const int64_t min64 = std::numeric_limits<int64_t>::min();
  for (const char* b : {"ref", "cpu"}) {
    Tensor n = RunOp("neg", b, Tensor::FromVector<int32_t>({3}, {min32, 5, -5}));
    EXPECT_EQ(std::vector<int32_t>(n.data<int32_t>(), n.data<int32_t>() + 3),
              (std::vector<int32_t>{min32, -5, 5}))
        << b;
    Tensor a = RunOp("abs", b, Tensor::FromVector<int64_t>({3}, {min64, -5, 5}));
    EXPECT_EQ(std::vector<int64_t>(a.data<int64_t>(), a.data<int64_t>() + 3),
              (std::vector<int64_t>{min64, 5, 5}))
        << b;
    Tensor u = RunOp("neg", b, Tensor::FromVector<uint8_t>({3}, {0, 1, 200}));
    EXPECT_EQ(std::vector<uint8_t>(u.data<uint8_t>(), u.data<uint8_t>() + 3),
              (std::vector<uint8_t>{0, 255, 56}))
        << b;
    Tensor r = RunOp("relu", b, Tensor::FromVector<int64_t>({3}, {min64, 0, 3}));
    EXPECT_EQ(std::vector<int64_t>(r.data<int64_t>(), r.data<int64_t>() + 3),
              (std::vector<int64_t>{0, 0, 3}))
        << b;
    Tensor l = RunOp("logical_not", b, Tensor::FromVector<bool>({3}, {true, false, true}));
    EXPECT_EQ(std::vector<bool>(l.data<bool>(), l.data<bool>() + 3),
              (std::vector<bool>{false, true, false}))
        << b;
  }
}

// Sets Highway's dispatch to one target for its lifetime (tests only).
class TargetOverride {
 public:
  explicit TargetOverride(int64_t target) { hwy::SetSupportedTargetsForTest(target); }
  ~TargetOverride() { hwy::SetSupportedTargetsForTest(0); }
  TargetOverride(const TargetOverride&) = delete;
  TargetOverride& operator=(const TargetOverride&) = delete;
};

TEST(UnaryOps, EveryKernelCheckPassesOnEveryCompiledHighwayTarget) {
  // The conformance cases run the dispatcher's best target only; the others (SSSE3 and SSE4
  // without FMA, AVX2, AVX-512) are what other machines run.
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  for (int64_t target : targets) {
    TargetOverride only(target);
    SCOPED_TRACE(std::string("Highway target ") + hwy::TargetName(target));
    for (const auto& [name, check] : KernelChecks()) {
      SCOPED_TRACE(name);
      check();
    }
  }
  RecordProperty("targets", static_cast<int>(targets.size()));
}

TEST(UnaryOps, ShapeFunctionsKeepSymbolicDims) {
  Graph g("symbolic");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), Dim::Parse("2*T"), 3});
  for (const char* op : {"relu", "exp", "neg", "abs", "log", "sqrt", "rsqrt", "reciprocal", "sin",
                         "cos", "tanh", "sigmoid", "leaky_relu", "gelu", "silu", "erf", "clip"}) {
    EXPECT_EQ(b.type(b.Op1(op, {x})).ToString(), "f32[N, 2*T, 3]") << op;
  }
  Value i = b.Op1("cast", {x}, {{"dtype", DType::kI64}});
  EXPECT_EQ(b.type(i).ToString(), "i64[N, 2*T, 3]");
  Value m = b.Op1("cast", {x}, {{"dtype", DType::kBool}});
  EXPECT_EQ(b.type(b.Op1("logical_not", {m})).ToString(), "bool[N, 2*T, 3]");
}

TEST(UnaryOps, SchemasAreDocumentedAndDeclareDifferentiability) {
  for (const char* op :
       {"relu", "exp", "neg", "abs", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tanh",
        "sigmoid", "leaky_relu", "gelu", "silu", "erf", "clip", "cast", "logical_not"}) {
    const OpSchema& s = OpRegistry::Global().Get(op);
    EXPECT_NE(s.doc.find("torch"), std::string::npos)
        << op << ": the doc names the PyTorch equivalent";
    EXPECT_EQ(s.fusion, FusionKind::kElementwise) << op;
    EXPECT_NE(s.differentiability, Differentiability::kUnspecified) << op;
    for (const AttrSpec& a : s.attrs) EXPECT_FALSE(a.doc.empty()) << op << "." << a.name;
  }
  EXPECT_EQ(OpRegistry::Global().Get("logical_not").differentiability,
            Differentiability::kNotDifferentiable);
  const std::vector<TensorType> in = {{DType::kF32, Shape::FromDims({1000})}};
  const std::vector<TensorType> out = in;
  Cost c = OpRegistry::Global().Get("gelu").cost({}, in, out);
  EXPECT_EQ(c.bytes_read, 4000);
  EXPECT_EQ(c.bytes_written, 4000);
  EXPECT_GT(c.flops, OpRegistry::Global().Get("relu").cost({}, in, out).flops);
}

}  // namespace
}  // namespace bronze::testing
