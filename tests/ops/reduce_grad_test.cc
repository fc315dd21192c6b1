// Focused tests of the reduce family's gradients that central differences cannot show: a mean
// over a symbolic batch dim (one graph, two batch sizes), PyTorch's even split of the gradient
// among tied maxima and minima (and NaN slices), reduce_prod's exact rule with zeros, and that
// softmax / log_softmax backward read the output only. Expected values are derived by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

Attribute Axes(std::vector<int64_t> a) { return Attribute(std::move(a)); }

// A graph: x (placeholder of `shape`), y = op(x, attrs) (node "y"), loss = sum(y * w) for a
// constant w broadcasting against y, and output "dx" = d loss / d x; with autodiff's result.
struct GradGraph {
  Graph g{"grad"};
  Gradients grads;
};

std::unique_ptr<GradGraph> Build(const std::string& op, const AttrMap& attrs, DType dtype,
                                 const Shape& shape, const Tensor& w) {
  auto r = std::make_unique<GradGraph>();
  GraphBuilder b(r->g);
  Value x = b.Placeholder("x", dtype, shape);
  Value y = b.Op1(op, {x}, attrs, "y");
  Value loss = b.Op1("reduce_sum", {b.Op1("mul", {y, b.Constant(w, "w")})});
  b.Output("loss", loss);
  std::vector<Value> wrt{x};
  r->grads = BuildGradients(r->g, loss, wrt);
  r->g.AddOutput("dx", r->grads.grads[0]);
  return r;
}

// d loss / d x of op(x) with loss = sum(op(x) * w), on backend `backend` ("" = the fast ones).
Tensor Grad(const std::string& op, const AttrMap& attrs, const Tensor& x, const Tensor& w,
            const std::string& backend = "") {
  auto gg = Build(op, attrs, x.dtype(), Shape::FromDims(x.dims()), w);
  SessionOptions o;
  o.backend = backend;
  Session s(gg->g, o);
  return s.Run({{"x", x}}).at("dx");
}

void ExpectNear(const Tensor& got, const Dims& dims, const std::vector<double>& want) {
  ASSERT_EQ(got.dims(), dims);
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double g = got.GetAsDouble(i), e = want[static_cast<size_t>(i)];
    if (std::isnan(e)) {
      EXPECT_TRUE(std::isnan(g)) << "element " << i << ": got " << g;
    } else {
      EXPECT_NEAR(g, e, 1e-6 * std::max(1.0, std::abs(e))) << "element " << i;
    }
  }
}

TEST(ReduceGrad, MeanOverASymbolicBatchDimDividesByTheBoundBatchSize) {
  // mean over N of x: (N, 3), loss = sum(mean * w): d loss / d x[i][j] = w[j] / N.
  const Tensor w = Tensor::FromVector<float>({3}, {1, -2, 4});
  auto gg = Build("reduce_mean", {{"axes", Axes({0})}}, DType::kF32,
                  Shape{Dim::Symbol("N"), 3}, w);
  // ... and a mean over every axis of the same x in a second graph: 1 / (3 N) everywhere.
  auto all = Build("reduce_mean", {}, DType::kF32, Shape{Dim::Symbol("N"), 3},
                   Tensor::Scalar<float>(6.0f));
  for (const char* backend : {"", "ref"}) {
    SessionOptions o;
    o.backend = backend;
    Session s(gg->g, o), s_all(all->g, o);
    for (int64_t n : {2, 5}) {
      SCOPED_TRACE("N = " + std::to_string(n) + " backend '" + backend + "'");
      Tensor x = Tensor::Zeros(DType::kF32, {n, 3});
      for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 0.5f * static_cast<float>(i);
      std::vector<double> want, want_all;
      for (int64_t i = 0; i < n; ++i) {
        for (double wj : {1.0, -2.0, 4.0}) want.push_back(wj / static_cast<double>(n));
        for (int j = 0; j < 3; ++j) want_all.push_back(6.0 / (3.0 * static_cast<double>(n)));
      }
      ExpectNear(s.Run({{"x", x}}).at("dx"), {n, 3}, want);
      ExpectNear(s_all.Run({{"x", x}}).at("dx"), {n, 3}, want_all);
    }
    EXPECT_EQ(s.num_compiles(), 2) << "one graph, one plan per batch size";
  }
}

TEST(ReduceGrad, EveryBuilderServesEveryBatchSizeFromOneSymbolicGraph) {
  // The gradient graph built once for x: (N, 3) matches the one built for each static N.
  const std::vector<std::pair<std::string, AttrMap>> ops = {
      {"reduce_mean", {{"axes", Axes({0})}}},     {"reduce_max", {{"axes", Axes({0})}}},
      {"reduce_min", {{"axes", Axes({1})}}},      {"reduce_prod", {}},
      {"logsumexp", {{"axes", Axes({0})}}},       {"reduce_sum", {{"axes", Axes({0})}}},
      {"softmax", {{"axis", 0}}},                 {"log_softmax", {}}};
  for (const auto& [op, attrs] : ops) {
    SCOPED_TRACE(op);
    auto gg = Build(op, attrs, DType::kF64, Shape{Dim::Symbol("N"), 3},
                    Tensor::Scalar<double>(1.5));
    Session s(gg->g);
    for (int64_t n : {2, 4}) {
      Tensor x = Tensor::Zeros(DType::kF64, {n, 3});
      for (int64_t i = 0; i < x.numel(); ++i) {
        x.data<double>()[i] = 0.5 + 0.1 * static_cast<double>((i * 7) % 11);
      }
      Tensor want = Grad(op, attrs, x, Tensor::Scalar<double>(1.5));
      Tensor got = s.Run({{"x", x}}).at("dx");
      EXPECT_EQ(Compare(got, want, 1e-12, 1e-12), "") << "N = " << n;
    }
  }
}

TEST(ReduceGrad, MaxAndMinShareTheGradientEvenlyAmongTies) {
  // torch.amax / amin: grad / (number of ties) at each tied extreme, 0 elsewhere.
  const Tensor x = Tensor::FromVector<float>({3, 3}, {1, 3, 3,  //
                                                      2, 2, 2,  //
                                                      5, -1, 0});
  const Tensor w = Tensor::FromVector<float>({3}, {6, 3, 2});
  for (const char* backend : {"", "ref"}) {
    SCOPED_TRACE("backend '" + std::string(backend) + "'");
    ExpectNear(Grad("reduce_max", {{"axes", Axes({1})}}, x, w, backend), {3, 3},
               {0, 3, 3, 1, 1, 1, 2, 0, 0});
    ExpectNear(Grad("reduce_min", {{"axes", Axes({1})}, {"keepdims", 1}}, x,
                    Tensor::FromVector<float>({3, 1}, {6, 3, 2}), backend),
               {3, 3}, {6, 0, 0, 1, 1, 1, 0, 2, 0});
    // Column maxima 5, 3, 3 (rows 2, 0, 0) take w = 6, 3, 2.
    ExpectNear(Grad("reduce_max", {{"axes", Axes({0})}}, x, w, backend), {3, 3},
               {0, 3, 2, 0, 0, 0, 6, 0, 0});
    // A tie over all axes: x2 has its max 2 three times.
    const Tensor x2 = Tensor::FromVector<float>({2, 2}, {2, 1, 2, 2});
    ExpectNear(Grad("reduce_max", {}, x2, Tensor::Scalar<float>(3.0f), backend), {2, 2},
               {1, 0, 1, 1});
  }
}

TEST(ReduceGrad, MaxOfASliceHoldingNaNHasANaNGradientAsInPyTorch) {
  // amax gives NaN; no element equals it, so PyTorch's (grad / 0) * mask is NaN on the slice.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::FromVector<float>({2, 2}, {1, nan, 4, 3});
  const Tensor w = Tensor::FromVector<float>({2}, {1, 1});
  ExpectNear(Grad("reduce_max", {{"axes", Axes({1})}}, x, w), {2, 2}, {nan, nan, 1, 0});
}

TEST(ReduceGrad, ProdIsExactWithZeros) {
  // dx_i = product of the others: no zero: y / x_i; one zero: the product of the others at the
  // zero, 0 elsewhere; two zeros: 0.
  const Tensor x = Tensor::FromVector<float>({4, 3}, {2, -1, 3,  //
                                                      2, 0, 3,   //
                                                      0, 0, 4,   //
                                                      0, 0, 0});
  const Tensor w = Tensor::FromVector<float>({4}, {1, 2, 3, 4});
  for (const char* backend : {"", "ref"}) {
    SCOPED_TRACE("backend '" + std::string(backend) + "'");
    ExpectNear(Grad("reduce_prod", {{"axes", Axes({1})}}, x, w, backend), {4, 3},
               {-3, 6, -2, 0, 12, 0, 0, 0, 0, 0, 0, 0});
    // Over every axis the product has zeros in several rows: all gradients 0.
    ExpectNear(Grad("reduce_prod", {}, x, Tensor::Scalar<float>(1.0f), backend), {4, 3},
               std::vector<double>(12, 0.0));
  }
  // One zero over every axis: the gradient at the zero is the product of all the others.
  const Tensor one = Tensor::FromVector<float>({2, 2}, {2, 0, -3, 0.5f});
  ExpectNear(Grad("reduce_prod", {}, one, Tensor::Scalar<float>(2.0f)), {2, 2}, {0, -6, 0, 0});
}

TEST(ReduceGrad, SoftmaxAndLogSoftmaxBackwardFollowTheFormulasAndReadOnlyTheOutput) {
  const Tensor x = Tensor::FromVector<float>({2, 3}, {0.5f, -1, 2, 0, 0, 0});
  const Tensor w = Tensor::FromVector<float>({2, 3}, {1, -2, 0.5f, 3, 1, -1});
  // Row by row from the definitions: y = softmax(x), dx = y * (w - sum(w * y)) for softmax;
  // dx = w - y * sum(w) for log_softmax.
  std::vector<double> want_sm, want_lsm;
  for (int r = 0; r < 2; ++r) {
    double e[3], z = 0, wy = 0, ws = 0;
    for (int k = 0; k < 3; ++k) z += e[k] = std::exp(double{x.data<float>()[r * 3 + k]});
    for (int k = 0; k < 3; ++k) {
      wy += w.data<float>()[r * 3 + k] * e[k] / z;
      ws += w.data<float>()[r * 3 + k];
    }
    for (int k = 0; k < 3; ++k) {
      const double wk = w.data<float>()[r * 3 + k], y = e[k] / z;
      want_sm.push_back(y * (wk - wy));
      want_lsm.push_back(wk - y * ws);
    }
  }
  for (const char* backend : {"", "ref"}) {
    SCOPED_TRACE("backend '" + std::string(backend) + "'");
    ExpectNear(Grad("softmax", {}, x, w, backend), {2, 3}, want_sm);
    ExpectNear(Grad("log_softmax", {{"axis", 1}}, x, w, backend), {2, 3}, want_lsm);
  }
  // The backward reads y (the op's output) and not x, through one fused node.
  for (const char* op : {"softmax", "log_softmax"}) {
    auto gg = Build(op, {}, DType::kF32, Shape{Dim::Symbol("N"), 3}, Tensor::Scalar<float>(1.0f));
    const NodeId x_id = gg->g.FindNode("x"), y_id = gg->g.FindNode("y");
    const auto& saved = gg->grads.saved;
    EXPECT_TRUE(std::none_of(saved.begin(), saved.end(), [&](Value v) { return v.node == x_id; }))
        << op << ": the backward must not keep x";
    EXPECT_TRUE(std::any_of(saved.begin(), saved.end(), [&](Value v) { return v.node == y_id; }))
        << op << ": the backward keeps y";
    const Node& dx = gg->g.node(gg->grads.grads[0].node);
    EXPECT_EQ(dx.op_name(), std::string(op) + "_grad");
  }
}

}  // namespace
}  // namespace bronze::testing
