// Focused gradient tests of the pointwise ops (unary and binary elementwise), with expected
// values derived by hand from PyTorch's backward definitions (torch/csrc/autograd/
// derivatives.yaml) at the points random gradient checks cannot probe: relu and abs at 0,
// leaky_relu at 0, clip at its bounds, maximum / minimum at ties and with NaN, pow at a zero
// base, where's routing, cast between dtypes; plus the backward graph's saved values (relu
// keeps its output, not its input), gradients through symbolic batch dims, and the fused
// backward kernels on every Highway target this CPU supports.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "hwy/targets.h"
#include "tests/ops/op_cases.h"
#include "tests/support/gradcheck.h"

namespace bronze::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> Values(const Tensor& t) {
  const float* p = t.data<float>();
  return std::vector<float>(p, p + t.numel());
}

// d sum(op(inputs)) / d input i for every float input, on `backend` (so dy = 1 everywhere).
std::vector<std::vector<float>> GradOfSum(const std::string& op, const std::vector<Tensor>& inputs,
                                          const AttrMap& attrs, const std::string& backend) {
  Graph g("grad_test");
  GraphBuilder b(g);
  std::vector<Value> in;
  std::vector<std::string> wrt;
  NamedTensors feed;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = "in" + std::to_string(i);
    in.push_back(b.Placeholder(name, inputs[i].dtype(), Shape::FromDims(inputs[i].dims())));
    feed[name] = inputs[i];
    if (IsFloating(inputs[i].dtype())) wrt.push_back(name);
  }
  b.Output("loss", b.Op1("reduce_sum", {b.Op1(op, in, attrs)}));
  NamedTensors grads = AnalyticGradients(g, wrt, feed, backend);
  std::vector<std::vector<float>> out;
  for (const std::string& name : wrt) out.push_back(Values(grads.at(name)));
  return out;
}

Tensor F(std::vector<float> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::FromVector<float>({n}, v);
}

// Checks the gradients on the ref and the cpu kernels (within a float rounding or two).
void ExpectGrads(const std::string& op, const std::vector<Tensor>& inputs, const AttrMap& attrs,
                 const std::vector<std::vector<float>>& want) {
  for (const char* backend : {"ref", "cpu"}) {
    SCOPED_TRACE(std::string(backend) + " kernels");
    const auto got = GradOfSum(op, inputs, attrs, backend);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].size(), want[i].size());
      for (size_t k = 0; k < want[i].size(); ++k) {
        EXPECT_NEAR(got[i][k], want[i][k], 1e-6 * (1 + std::fabs(want[i][k])))
            << "input " << i << " element " << k;
      }
    }
  }
}

TEST(PointwiseGrad, ReluIsZeroAtZeroAndPassesNaN) {
  // threshold_backward(dy, y, 0): 0 where y <= 0, so relu'(0) = relu'(-0) = 0; a NaN output
  // passes dy.
  ExpectGrads("relu", {F({-1.0f, -0.0f, 0.0f, 2.0f, kNaN})}, {}, {{0, 0, 0, 1, 1}});
}

TEST(PointwiseGrad, AbsIsTheSignWithZeroAtZero) {
  ExpectGrads("abs", {F({-2.0f, -0.0f, 0.0f, 3.0f})}, {}, {{-1, 0, 0, 1}});
}

TEST(PointwiseGrad, LeakyReluTakesTheSlopeAtZero) {
  // x > 0 ? dy : dy * slope, the slope rounded to f32.
  ExpectGrads("leaky_relu", {F({-2.0f, 0.0f, -0.0f, 3.0f})}, {{"negative_slope", 0.1}},
              {{0.1f, 0.1f, 0.1f, 1}});
}

TEST(PointwiseGrad, ClipPassesTheGradientAtItsBoundsInclusive) {
  ExpectGrads("clip", {F({-2.0f, -1.0f, 0.0f, 1.0f, 2.0f, kNaN})}, {{"min", -1.0}, {"max", 1.0}},
              {{0, 1, 1, 1, 0, 0}});
  ExpectGrads("clip", {F({-2.0f, 0.5f, 2.0f})}, {{"min", 0.5}}, {{0, 1, 1}});
  // min > max: every output is max, no element is in [min, max].
  ExpectGrads("clip", {F({-1.0f, 0.0f, 1.0f})}, {{"min", 1.0}, {"max", -1.0}}, {{0, 0, 0}});
}

TEST(PointwiseGrad, MaximumAndMinimumSplitTiesEqually) {
  const Tensor a = F({1.0f, 2.0f, 3.0f, 0.0f, kNaN});
  const Tensor b = F({1.0f, 5.0f, 0.0f, -0.0f, 1.0f});
  // Ties (1 == 1, 0 == -0) give dy / 2 to each; a NaN makes neither operand smaller, so both
  // get dy (PyTorch's masked_fill on a < b / a > b).
  ExpectGrads("maximum", {a, b}, {}, {{0.5f, 0, 1, 0.5f, 1}, {0.5f, 1, 0, 0.5f, 1}});
  ExpectGrads("minimum", {a, b}, {}, {{0.5f, 1, 0, 0.5f, 1}, {0.5f, 0, 1, 0.5f, 1}});
}

TEST(PointwiseGrad, MaximumTiesWithBroadcastingSumHalves) {
  // b = 1 broadcast against a = {1, 1, 0}: b collects 1/2 + 1/2 + 0 + ... from each element.
  ExpectGrads("maximum", {F({1.0f, 1.0f, 0.0f}), F({1.0f})}, {}, {{0.5f, 0.5f, 0}, {2.0f}});
}

TEST(PointwiseGrad, PowAtAZeroBase) {
  // da = b * a^(b-1), 0 where b == 0; db = out * ln(a), 0 where a == 0 and b >= 0.
  const float ln2 = static_cast<float>(std::log(2.0));
  ExpectGrads("pow", {F({0.0f, 0.0f, 2.0f, 0.0f}), F({0.0f, 2.0f, 3.0f, 1.0f})}, {},
              {{0, 0, 12, 1}, {0, 0, 8 * ln2, 0}});
}

TEST(PointwiseGrad, DivGradients) {
  ExpectGrads("div", {F({3.0f, -1.0f}), F({2.0f, 4.0f})}, {}, {{0.5f, 0.25f}, {-0.75f, 1.0f / 16}});
}

TEST(PointwiseGrad, WhereRoutesTheGradientToTheSelectedOperand) {
  const Tensor cond = Tensor::FromVector<bool>({3}, {true, false, true});
  ExpectGrads("where", {cond, F({1, 2, 3}), F({4, 5, 6})}, {}, {{1, 0, 1}, {0, 1, 0}});
  // Broadcast a scalar b: it collects every unselected element's gradient.
  ExpectGrads("where", {cond, F({1, 2, 3}), Tensor::FromVector<float>({}, {7})}, {},
              {{1, 0, 1}, {1}});
}

TEST(PointwiseGrad, CastBetweenFloatsCastsTheGradientBack) {
  for (auto [from, to] :
       {std::pair{DType::kF32, DType::kF64}, std::pair{DType::kF64, DType::kF32}}) {
    Graph g("cast");
    GraphBuilder b(g);
    Value x = b.Placeholder("x", from, {3});
    Value y = b.Op1("cast", {x}, {{"dtype", to}});
    b.Output("loss", b.Op1("reduce_sum", {b.Op1("mul", {y, y})}));
    Tensor xv = Tensor::FromVector<float>({3}, {1, -2, 3});
    if (from == DType::kF64) xv = ToF64(xv);
    const Tensor gx = AnalyticGradients(g, {"x"}, {{"x", xv}}).at("x");
    ASSERT_EQ(gx.dtype(), from);
    for (int64_t i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(gx.GetAsDouble(i), 2 * xv.GetAsDouble(i));
  }
}

TEST(PointwiseGrad, CastThroughAnIntegerPassesNoGradient) {
  Graph g("cast_int");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {3});
  Value i = b.Op1("cast", {x}, {{"dtype", DType::kI32}});
  Value back = b.Op1("cast", {i}, {{"dtype", DType::kF32}});
  Value loss = b.Op1("reduce_sum", {back});
  Gradients grads = BuildGradients(g, loss, std::vector<Value>{x});
  EXPECT_FALSE(grads.grads[0].valid());
  // Plus a direct path: only that one contributes.
  Graph g2("cast_int_plus");
  GraphBuilder b2(g2);
  Value x2 = b2.Placeholder("x", DType::kF32, {3});
  Value back2 = b2.Op1("cast", {b2.Op1("cast", {x2}, {{"dtype", DType::kI64}})},
                       {{"dtype", DType::kF32}});
  b2.Output("loss", b2.Op1("reduce_sum", {b2.Op1("add", {back2, x2})}));
  const Tensor gx = AnalyticGradients(g2, {"x"}, {{"x", F({0.5f, 1.5f, -2.5f})}}).at("x");
  EXPECT_EQ(Values(gx), (std::vector<float>{1, 1, 1}));
}

TEST(PointwiseGrad, ActivationsFromTheirOutputKeepOnlyTheOutput) {
  for (const char* op : {"relu", "sigmoid", "tanh", "exp"}) {
    SCOPED_TRACE(op);
    Graph g("saved");
    GraphBuilder b(g);
    Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 4});
    Value y = b.Op1(op, {x});
    Value loss = b.Op1("reduce_sum", {y});
    Gradients grads = BuildGradients(g, loss, std::vector<Value>{x});
    ASSERT_TRUE(grads.grads[0].valid());
    EXPECT_EQ(grads.saved, (std::vector<Value>{y}));
  }
}

TEST(PointwiseGrad, SymbolicBatchDimsWorkForAnyBatch) {
  // loss = sum(relu(maximum(x, b)) * w): gradients of x [N, 3] and of the broadcast b [3],
  // compiled once and run at two batch sizes.
  Graph g("symbolic");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3});
  Value bias = b.Placeholder("b", DType::kF32, {3});
  Value h = b.Op1("relu", {b.Op1("maximum", {x, bias})});
  b.Output("loss", b.Op1("reduce_sum", {b.Op1("gelu", {h}, {{"approximate", "tanh"}})}));
  Gradients grads =
      BuildGradients(g, g.outputs()[0].value, std::vector<Value>{x, bias});
  g.AddOutput("gx", grads.grads[0]);
  g.AddOutput("gb", grads.grads[1]);
  Session s(g);
  for (int64_t n : {2, 5}) {
    SCOPED_TRACE(n);
    std::vector<float> xv;
    for (int64_t i = 0; i < n * 3; ++i) xv.push_back(static_cast<float>(i % 4) - 1.5f);
    NamedTensors out = s.Run({{"x", Tensor::FromVector<float>({n, 3}, xv)},
                              {"b", Tensor::FromVector<float>({3}, {-1.0f, 0.25f, 3.0f})}});
    ASSERT_EQ(out.at("gx").dims(), (Dims{n, 3}));
    ASSERT_EQ(out.at("gb").dims(), (Dims{3}));
    // Column 2: b = 3 beats every x, so x gets nothing there and b gets gelu'(3) n times.
    double gelu3 = 0;
    {
      const double k = std::sqrt(2.0 / std::numbers::pi);
      const double u = k * (3 + 0.044715 * 27), t = std::tanh(u);
      gelu3 = 0.5 * (1 + t) + 0.5 * 3 * (1 - t * t) * k * (1 + 3 * 0.044715 * 9);
    }
    EXPECT_NEAR(out.at("gb").GetAsDouble(2), n * gelu3, 1e-5 * n);
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(out.at("gx").GetAsDouble(i * 3 + 2), 0.0);
  }
}

TEST(PointwiseGrad, BackwardOpSchemasAreDocumentedAndNotDifferentiable) {
  for (const char* op : {"relu_grad", "sigmoid_grad", "tanh_grad", "gelu_grad", "silu_grad",
                         "leaky_relu_grad", "clip_grad"}) {
    const OpSchema& s = OpRegistry::Global().Get(op);
    EXPECT_NE(s.doc.find(op == std::string("clip_grad") ? "torch.where" : "torch.ops.aten."),
              std::string::npos)
        << op;
    EXPECT_EQ(s.fusion, FusionKind::kElementwise) << op;
    EXPECT_EQ(s.differentiability, Differentiability::kNotDifferentiable) << op;
    for (const AttrSpec& a : s.attrs) EXPECT_FALSE(a.doc.empty()) << op << "." << a.name;
  }
  Graph g("symbolic");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3});
  EXPECT_EQ(b.type(b.Op1("relu_grad", {x, x})).ToString(), "f32[N, 3]");
}

// The fused backward kernels on every Highway target compiled in and supported here (the
// conformance cases run the best one only): random values, a size that leaves a tail, thread
// splits, and the special values in both operands.
TEST(PointwiseGrad, BackwardKernelsAgreeWithTheReferenceOnEveryHighwayTarget) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> special = {kNaN, inf, -inf, 0.0f, -0.0f, 1e-40f, 1.0f, -1.0f,
                                      0.5f, -0.5f, 3.0f, -3.0f, 20.0f, -20.0f, 100.0f, -100.0f};
  // dy stays finite: an infinite dy times a derivative that underflows to 0 in f32 (gelu at
  // -20) but not in double is NaN against inf, which says nothing about the kernels.
  const std::vector<float> special_grads = {kNaN, 0.0f, -0.0f, 1e-40f, 1.0f, -3.0f, 1e30f};
  const Tensor dy = MakeInput(F32({40007}), 1);
  const Tensor t = MakeInput(Uniform(DType::kF32, {40007}, -8, 8), 2);
  std::vector<float> sdy, st;
  for (float a : special_grads) {
    for (float c : special) sdy.push_back(a), st.push_back(c);
  }
  const int64_t n = static_cast<int64_t>(sdy.size());
  const Tensor special_dy = Tensor::FromVector<float>({n}, sdy);
  const Tensor special_t = Tensor::FromVector<float>({n}, st);
  struct Call {
    std::string op;
    AttrMap attrs;
    double rtol, atol;
  };
  const std::vector<Call> calls = {
      {"relu_grad", {}, 0, 0},
      {"sigmoid_grad", {}, 5e-7, 1e-37},
      {"tanh_grad", {}, 5e-7, 1e-37},
      {"gelu_grad", {}, 1e-6, 3e-7},
      {"gelu_grad", {{"approximate", "tanh"}}, 1e-6, 3e-7},
      {"silu_grad", {}, 1e-6, 1e-7},
      {"leaky_relu_grad", {{"negative_slope", 0.2}}, 0, 0},
      {"clip_grad", {{"min", -1.0}, {"max", 0.5}}, 0, 0},
  };
  for (int64_t target : targets) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    for (const Call& c : calls) {
      SCOPED_TRACE(c.op);
      for (const auto& in : {std::vector<Tensor>{dy, t}, std::vector<Tensor>{special_dy, special_t}}) {
        const KernelRegistry& k = KernelRegistry::Global();
        const Tensor want =
            RunKernel(*k.Find(c.op, DeviceKind::kCPU, DType::kF32, "ref"), c.op, c.attrs, in, 1)[0];
        const Tensor got =
            RunKernel(*k.Find(c.op, DeviceKind::kCPU, DType::kF32, "cpu"), c.op, c.attrs, in, 2)[0];
        EXPECT_EQ(Compare(got, want, c.rtol, c.atol), "");
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace
}  // namespace bronze::testing
