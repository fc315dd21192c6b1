// Focused tests of the optimizer family and graph/optimizer.h: in-place semantics through a
// Session (the parameter and the optimizer state change and persist across runs; a learning
// rate fed per run never recompiles), a reader of the parameter with a larger node id than the
// update still sees the old value, verifier errors for in-place writes into non-state values and
// for two writers, and first steps of every optimizer against values derived in the test from
// the torch.optim algorithms (not from a reference run), on the ref and the fast kernels.
#include "graph/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

Tensor F32s(std::vector<float> v) {
  Dims d = {static_cast<int64_t>(v.size())};
  return Tensor::FromVector<float>(d, v);
}
Tensor LrTensor(float lr) { return Tensor::Scalar<float>(lr); }

void ExpectNear(const Tensor& got, const std::vector<double>& want, double rtol = 2e-6) {
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double w = want[static_cast<size_t>(i)];
    EXPECT_NEAR(got.GetAsDouble(i), w, rtol * std::abs(w) + 1e-7) << "element " << i;
  }
}

// w (a parameter), placeholders g and lr, the update of w, and its new value as output "w_new".
struct OneParam {
  Graph graph{"one_param"};
  NodeId update = kNoNode;
};

OneParam Build(const OptimizerSpec& spec, Tensor w0) {
  OneParam m;
  GraphBuilder b(m.graph);
  Value w = b.Parameter("w", w0);
  Value g = b.Placeholder("g", w0.dtype(), Shape::FromDims(w0.dims()));
  Value lr = b.Placeholder("lr", DType::kF32, Shape());
  m.update = AppendOptimizerUpdate(b, w, g, lr, spec);
  b.Output("w_new", Value{m.update, 0});
  return m;
}

SessionOptions Options(const std::string& backend) {
  SessionOptions o;
  o.backend = backend;
  o.threads = 2;
  return o;
}

class BothBackends : public ::testing::TestWithParam<std::string> {};

TEST_P(BothBackends, SgdMomentumUpdatesParameterAndStateInPlaceAcrossRuns) {
  OneParam m = Build(OptimizerSpec::SGD(0.9, 0.5), F32s({1, 2, 3}));
  Session s(m.graph, Options(GetParam()));
  s.Run(NamedTensors{{"g", F32s({1, -2, 0.5f})}, {"lr", LrTensor(0.1f)}});
  // First step: buf = g (dampening not applied), w = w - lr * buf.
  ExpectNear(s.parameter("w"), {0.9, 2.2, 2.95});
  ExpectNear(s.parameter("w/momentum_buffer"), {1, -2, 0.5});
  EXPECT_EQ(s.parameter("w/step").data<int64_t>()[0], 1);
  NamedTensors out = s.Run(NamedTensors{{"g", F32s({1, -2, 0.5f})}, {"lr", LrTensor(0.2f)}});
  // Second: buf = 0.9 * buf + 0.5 * g = 1.4 * g; w = w - 0.2 * buf.
  ExpectNear(s.parameter("w/momentum_buffer"), {1.4, -2.8, 0.7});
  ExpectNear(s.parameter("w"), {0.9 - 0.28, 2.2 + 0.56, 2.95 - 0.14});
  ExpectNear(out.at("w_new"), {0.9 - 0.28, 2.2 + 0.56, 2.95 - 0.14});
  EXPECT_EQ(s.parameter("w/step").data<int64_t>()[0], 2);
  EXPECT_EQ(s.num_compiles(), 1) << "a new learning rate must not recompile";
}

TEST_P(BothBackends, AdamFirstStepIsLrTimesSignOfGradient) {
  // t = 1: m_hat = g, v_hat = g^2, so w -= lr * g / (|g| + eps); L2 decay enters g.
  for (double wd : {0.0, 0.1}) {
    OneParam m = Build(OptimizerSpec::Adam(0.9, 0.999, 1e-8, wd), F32s({1, -2, 3}));
    Session s(m.graph, Options(GetParam()));
    s.Run(NamedTensors{{"g", F32s({0.5f, 4, -1})}, {"lr", LrTensor(0.01f)}});
    std::vector<double> w = {1, -2, 3}, g = {0.5, 4, -1}, want;
    for (size_t i = 0; i < 3; ++i) {
      double gi = g[i] + wd * w[i];
      want.push_back(w[i] - 0.01 * gi / (std::abs(gi) + 1e-8));
    }
    ExpectNear(s.parameter("w"), want);
    ExpectNear(s.parameter("w/exp_avg"),
               {0.1 * (0.5 + wd), 0.1 * (4 - 2 * wd), 0.1 * (-1 + 3 * wd)});
    EXPECT_EQ(s.parameter("w/step").data<int64_t>()[0], 1);
  }
}

TEST_P(BothBackends, AdamWDecaysTheParameterBeforeTheStep) {
  OneParam m = Build(OptimizerSpec::AdamW(), F32s({1, -2}));
  Session s(m.graph, Options(GetParam()));
  s.Run(NamedTensors{{"g", F32s({0.5f, -3})}, {"lr", LrTensor(0.1f)}});
  const double decay = 1 - 0.1 * 0.01;
  ExpectNear(s.parameter("w"), {1 * decay - 0.1, -2 * decay + 0.1});
}

TEST_P(BothBackends, AmsgradKeepsTheMaximumOfTheRawSecondMoments) {
  OneParam m = Build(OptimizerSpec::Adam(0.0, 0.5, 0.0, 0.0, true), F32s({0}));
  Session s(m.graph, Options(GetParam()));
  s.Run(NamedTensors{{"g", F32s({2})}, {"lr", LrTensor(1)}});  // v = 2, vmax = 2, w = -1
  s.Run(NamedTensors{{"g", F32s({1})}, {"lr", LrTensor(1)}});  // v = 1.5 < vmax = 2
  ExpectNear(s.parameter("w/exp_avg_sq"), {1.5});
  ExpectNear(s.parameter("w/max_exp_avg_sq"), {2});
  // beta1 = 0: m = g = 1, bc1 = 1; bc2 = 1 - 0.25; w = -1 - 1 / (sqrt(2) / sqrt(0.75)).
  ExpectNear(s.parameter("w"), {-1 - 1 / (std::sqrt(2.0) / std::sqrt(0.75))});
}

TEST_P(BothBackends, RmspropCenteredWithMomentum) {
  OneParam m = Build(OptimizerSpec::RMSprop(0.5, 0.0, 0.0, 0.9, true), F32s({1}));
  Session s(m.graph, Options(GetParam()));
  s.Run(NamedTensors{{"g", F32s({2})}, {"lr", LrTensor(0.1f)}});
  // square_avg = 0.5 * 4 = 2, grad_avg = 1, avg = sqrt(2 - 1) = 1, buf = 2, w = 1 - 0.2.
  ExpectNear(s.parameter("w/square_avg"), {2});
  ExpectNear(s.parameter("w/grad_avg"), {1});
  ExpectNear(s.parameter("w/momentum_buffer"), {2});
  ExpectNear(s.parameter("w"), {0.8});
}

TEST_P(BothBackends, AdagradStartsFromTheInitialAccumulatorAndDecaysLr) {
  OneParam m = Build(OptimizerSpec::Adagrad(0.5, 0.0, 5.0, 0.0), F32s({1}));
  Session s(m.graph, Options(GetParam()));
  ExpectNear(s.parameter("w/sum"), {5});
  s.Run(NamedTensors{{"g", F32s({2})}, {"lr", LrTensor(0.3f)}});  // sum 9, w = 1 - 0.3 * 2 / 3
  ExpectNear(s.parameter("w"), {0.8});
  s.Run(NamedTensors{{"g", F32s({4})}, {"lr", LrTensor(0.3f)}});  // clr = 0.3 / 1.5, sum 25
  ExpectNear(s.parameter("w"), {0.8 - 0.2 * 4 / 5});
  EXPECT_EQ(s.parameter("w/step").data<int64_t>()[0], 2);
}

TEST_P(BothBackends, ReaderWithLargerIdThanTheUpdateSeesTheOldValue) {
  Graph g("reader_after");
  GraphBuilder b(g);
  Value w = b.Parameter("w", F32s({1, 2}));
  Value grad = b.Placeholder("g", DType::kF32, Shape({2}));
  Value lr = b.Placeholder("lr", DType::kF32, Shape());
  NodeId update = AppendOptimizerUpdate(b, w, grad, lr, OptimizerSpec::SGD());
  Value doubled = b.Op1("mul", {w, b.Constant(Tensor::Scalar<float>(2))}, {}, "reader");
  ASSERT_GT(doubled.node, update);
  b.Output("reader", doubled);
  b.Output("w_new", Value{update, 0});
  Session s(g, Options(GetParam()));
  NamedTensors out = s.Run(NamedTensors{{"g", F32s({1, 1})}, {"lr", LrTensor(0.5f)}});
  ExpectNear(out.at("reader"), {2, 4});  // the value before this run's update
  ExpectNear(out.at("w_new"), {0.5, 1.5});
  out = s.Run(NamedTensors{{"g", F32s({1, 1})}, {"lr", LrTensor(0.5f)}});
  ExpectNear(out.at("reader"), {1, 3});
  ExpectNear(s.parameter("w"), {0, 1});
}

TEST_P(BothBackends, AssignWritesStateInPlace) {
  Graph g("assign");
  GraphBuilder b(g);
  Value st = b.State("running_mean", F32s({0, 0, 0}));
  Value x = b.Placeholder("x", DType::kF32, Shape({3}));
  Value blended = b.Op1("add", {b.Op1("mul", {st, b.Constant(Tensor::Scalar<float>(0.5f))}), x});
  b.Output("new", b.Op1("assign", {st, blended}));
  Session s(g, Options(GetParam()));
  s.Run(NamedTensors{{"x", F32s({2, 4, 6})}});
  s.Run(NamedTensors{{"x", F32s({2, 4, 6})}});
  ExpectNear(s.parameter("running_mean"), {3, 6, 9});
}

std::string BackendName(const ::testing::TestParamInfo<std::string>& backend) {
  return backend.param.empty() ? "fast" : "ref";
}

INSTANTIATE_TEST_SUITE_P(Optimizer, BothBackends, ::testing::Values("ref", ""), BackendName);

TEST(OptimizerVerifier, RejectsInPlaceWritesIntoAPlaceholder) {
  Graph g("bad");
  GraphBuilder b(g);
  Value w = b.Placeholder("w", DType::kF32, Shape({2}));
  Value lr = b.Placeholder("lr", DType::kF32, Shape());
  b.Output("w_new", b.Op("sgd_update", {w, w, lr})[0]);
  try {
    Verify(g);
    FAIL() << "verified";
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("only parameter and state values can be updated in place"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("placeholder"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Session{g}, GraphError);
}

TEST(OptimizerVerifier, RejectsTwoWritersOfOneValue) {
  Graph g("two_writers");
  GraphBuilder b(g);
  Value st = b.State("s", F32s({1}));
  Value x = b.Placeholder("x", DType::kF32, Shape({1}));
  b.Output("a", b.Op1("assign", {st, x}, {}, "first"));
  b.Output("b", b.Op1("assign", {st, x}, {}, "second"));
  try {
    Verify(g);
    FAIL() << "verified";
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("is updated in place by both"), std::string::npos)
        << e.what();
  }
}

TEST(OptimizerVerifier, OptionalStatesThatAreAbsentAreNotInPlaceTargets) {
  // sgd_update without momentum has 3 inputs: its (output 1, input 3) pair does not apply.
  OneParam m = Build(OptimizerSpec::SGD(), F32s({1}));
  EXPECT_NO_THROW(Verify(m.graph));
  EXPECT_EQ(m.graph.node(m.update).inputs.size(), 3u);
}

TEST(OptimizerBuilder, RejectsNonStateParamsAndSecondUpdates) {
  Graph g("builder");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape({2}));
  Value lr = b.Placeholder("lr", DType::kF32, Shape());
  EXPECT_THROW(AppendOptimizerUpdate(b, x, x, lr, OptimizerSpec::Adam()), InvalidArgumentError);
  Value w = b.Parameter("w", F32s({1, 2}));
  AppendOptimizerUpdate(b, w, x, lr, OptimizerSpec::Adam());
  try {
    AppendOptimizerUpdate(b, w, x, lr, OptimizerSpec::Adam());
    FAIL() << "second update accepted";
  } catch (const InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("already has optimizer state 'w/exp_avg'"),
              std::string::npos);
  }
  Value v = b.Parameter("v", F32s({1, 2}));
  EXPECT_THROW(
      AppendOptimizerUpdate(b, v, Value{x.node, 0}, b.Placeholder("lr2", DType::kF32, Shape({2})),
                            OptimizerSpec::SGD()),
      ShapeError);
}

TEST(OptimizerBuilder, SpecsCarryPyTorchDefaults) {
  EXPECT_EQ(OptimizerSpec::AdamW().weight_decay, 0.01);
  EXPECT_EQ(OptimizerSpec::Adam().weight_decay, 0.0);
  EXPECT_EQ(OptimizerSpec::Adagrad().eps, 1e-10);
  EXPECT_EQ(OptimizerSpec::Adagrad().lr, 1e-2);
  EXPECT_EQ(OptimizerSpec::RMSprop().alpha, 0.99);
  EXPECT_EQ(OptimizerSpec::SGD().momentum, 0.0);
  EXPECT_EQ(OptimizerSpec::Adam(0.8, 0.9, 1e-6, 0.0, true).ToString(),
            "adam(lr=0.001, amsgrad=1, beta1=0.8, beta2=0.9, eps=1e-06, weight_decay=0.0)");
  EXPECT_EQ(OptimizerSpec::SGD(0.9).OpName(), "sgd_update");
}

}  // namespace
}  // namespace bronze::testing
