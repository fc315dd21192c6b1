// simplify, the driver: its parts feed each other until nothing changes (folding exposes an
// identity, which exposes a duplicate), each part can be disabled by name, remarks come under the
// part's name once each, and simplify is safe on a training step built by autodiff: in-place
// updates, state write-backs and parameters stay, and several steps compute the same losses and
// parameters as the unsimplified step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "graph/builder.h"
#include "passes/simplify.h"
#include "passes/training.h"
#include "runtime/session.h"
#include "simplify_test_util.h"

namespace bronze {
namespace {

using testing::ExpectRewrite;

constexpr const char* kChained = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2)} : f32[N, 2]
  %two = constant() {dtype = f32, shape = ()} : f32[] data [2]
  %half = constant() {dtype = f32, shape = ()} : f32[] data [0.5]
  %k = mul(%two, %half) : f32[]
  %a = exp(%x) : f32[N, 2] @"model.py:1"
  %xk = mul(%x, %k) : f32[N, 2]
  %b = exp(%xk) : f32[N, 2] @"model.py:2"
  %s = add(%a, %b) : f32[N, 2] @"model.py:3"
  return s = %s
}
)";

TEST(Simplify, RunsItsPartsUntilNothingChanges) {
  // 2 * 0.5 folds to 1, x * 1 is x, so exp(x * k) is a second exp(x) and merges.
  auto r = ExpectRewrite({"simplify"}, kChained, R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2)} : f32[N, 2]
  %a = exp(%x) : f32[N, 2] @"model.py:1"
  %s = add(%a, %a) : f32[N, 2] @"model.py:3"
  return s = %s
}
)");
  EXPECT_TRUE(r.changed);
  const std::string text = r.RemarkText();
  EXPECT_NE(text.find("fold_constants: folded node 'k' (mul)"), std::string::npos) << text;
  EXPECT_NE(text.find("algebraic: removed node 'xk' (mul): x*1 is x"), std::string::npos) << text;
  EXPECT_NE(text.find("cse: merged node 'b' (exp) into 'a'"), std::string::npos) << text;
}

TEST(Simplify, SkipsPartsDisabledByName) {
  InstallKernelEvaluator();
  Graph g = ParseGraph(kChained);
  PipelineOptions o = PipelineOptions::Parse("verify-each,disable=cse:fold_constants");
  PassManager({"simplify"}, o).Run(g);
  // Without folding, k is no constant 1, so nothing else applies either.
  EXPECT_NE(g.FindNode("k"), kNoNode);
  EXPECT_NE(g.FindNode("b"), kNoNode);
  Graph g2 = ParseGraph(kChained);
  PassManager({"simplify"}, PipelineOptions::Parse("disable=cse")).Run(g2);
  EXPECT_EQ(g2.FindNode("k"), kNoNode);
  EXPECT_EQ(g2.FindNode("xk"), kNoNode);
  EXPECT_NE(g2.FindNode("b"), kNoNode) << "cse is off: the duplicate exp stays";
}

TEST(Simplify, ReportsEachRemarkOnceUnderThePartsName) {
  auto r = ExpectRewrite({"simplify"}, R"(graph "m" {
  %c = constant() {dtype = f32, shape = ()} : f32[] data [3]
  %big = expand(%c) {shape = (1024, 1024)} : f32[1024, 1024]
  %y = relu(%big) : f32[1024, 1024]
  return y = %y
}
)",
                         R"(graph "m" {
  %c = constant() {dtype = f32, shape = ()} : f32[] data [3]
  %big = expand(%c) {shape = (1024, 1024)} : f32[1024, 1024]
  %y = relu(%big) : f32[1024, 1024]
  return y = %y
}
)");
  int count = 0;
  for (const PassRemark& m : r.remarks) {
    if (m.text.find("node 'big' (expand) not folded") != std::string::npos) {
      ++count;
      EXPECT_EQ(m.pass, "fold_constants");
    }
  }
  EXPECT_EQ(count, 1) << r.RemarkText();
}

TEST(Simplify, OutputsThatBecomeConstantsOrInputsStillRun) {
  // out0 folds to the constant [2, 4]; out1 = x * 1 becomes the input x itself.
  Graph g = ParseGraph(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 2)} : f32[N, 2]
  %c = constant() {dtype = f32, shape = (2,)} : f32[2] data [1, 2]
  %one = constant() {dtype = f32, shape = ()} : f32[] data [1]
  %d = add(%c, %c) : f32[2]
  %y = mul(%x, %one) : f32[N, 2]
  return out0 = %d, out1 = %y
})");
  SessionOptions o;
  o.pass_options.verify_each = true;
  Session s(g, o);
  EXPECT_EQ(s.graph().num_nodes(), 2u) << PrintGraph(s.graph());
  Tensor x = Tensor::FromVector<float>({3, 2}, {1, -2, 3, -4, 5, -6});
  std::vector<Tensor> out = s.Run(std::vector<Tensor>{x});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].dims(), (Dims{2}));
  EXPECT_EQ(out[0].data<float>()[0], 2.0f);
  EXPECT_EQ(out[0].data<float>()[1], 4.0f);
  EXPECT_TRUE(BitwiseEqual(out[1], x));
}

// x (N, 3) -> linear 4 -> x*1 -> batch_norm -> relu -> dropout -> linear 1 -> + 0 ; mse loss.
// The duplicated relu and the identities give simplify something to do in the training graph.
Graph Model() {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0, 0.5f);
  auto random = [&](Dims dims) {
    Tensor t = Tensor::Empty(DType::kF32, dims);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
    return t;
  };
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape({Dim::Symbol("N"), 3}));
  Value t = b.Placeholder("t", DType::kF32, Shape({Dim::Symbol("N"), 1}));
  Value h = b.Op1("linear", {x, b.Parameter("w1", random({4, 3})), b.Parameter("b1", random({4}))});
  h = b.Op1("mul", {h, b.Constant(Tensor::Scalar<float>(1))});
  h = b.Op("batch_norm", {h, b.Parameter("gamma", random({4})), b.Parameter("beta", random({4})),
                          b.State("mean", Tensor::Zeros(DType::kF32, {4})),
                          b.State("var", Tensor::FromVector<float>({4}, {1, 1, 1, 1}))})[0];
  Value r1 = b.Op1("relu", {h});
  Value r2 = b.Op1("relu", {h});
  h = b.Op1("add", {b.Op1("dropout", {r1}, {{"p", 0.25}, {"seed", int64_t{3}}}), r2});
  Value y = b.Op1("linear", {h, b.Parameter("w2", random({1, 4})), b.Parameter("b2", random({1}))});
  y = b.Op1("add", {y, b.Constant(Tensor::Scalar<float>(0))});
  b.Output("loss", b.Op1("mse", {y, t}));
  return g;
}

int CountInplace(const Graph& g) {
  int n = 0;
  for (NodeId id : g.node_ids()) n += !InplacePairs(g.node(id)).empty();
  return n;
}

TEST(Simplify, IsSafeOnATrainingStep) {
  TrainingConfig config;
  config.optimizer = OptimizerSpec::Adam();
  TrainingGraph tg = BuildTrainingGraph(Model(), config);
  SessionOptions plain;
  plain.backend = "ref";
  plain.pipeline = {"shape_infer"};
  plain.pass_options.training = true;
  SessionOptions simplified = plain;
  simplified.pipeline = TrainingPipeline();
  simplified.pass_options.verify_each = true;
  std::vector<PassRemark> remarks;
  simplified.pass_options.remarks = &remarks;
  Session a(tg.graph, plain), b(tg.graph, simplified);
  EXPECT_LT(b.graph().num_nodes(), a.graph().num_nodes()) << "simplify found nothing to do";
  EXPECT_EQ(CountInplace(b.graph()), CountInplace(a.graph())) << "every update stays";
  EXPECT_EQ(b.graph().Parameters().size(), a.graph().Parameters().size());
  EXPECT_EQ(b.graph().States().size(), a.graph().States().size());
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0, 1);
  for (int step = 0; step < 3; ++step) {
    NamedTensors in;
    in["x"] = Tensor::Empty(DType::kF32, {6, 3});
    in["t"] = Tensor::Empty(DType::kF32, {6, 1});
    for (auto& [name, t] : in) {
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
    }
    in[kLearningRateInput] = Tensor::Scalar<float>(0.05f);
    float la = a.Run(in).at("loss").data<float>()[0];
    float lb = b.Run(in).at("loss").data<float>()[0];
    EXPECT_NEAR(lb, la, 1e-5 * std::max(1.0f, std::abs(la))) << "step " << step;
  }
  for (const std::string& p : tg.parameters) {
    Tensor pa = a.parameter(p), pb = b.parameter(p);
    for (int64_t i = 0; i < pa.numel(); ++i) {
      EXPECT_NEAR(pb.GetAsDouble(i), pa.GetAsDouble(i), 1e-5) << p << "[" << i << "]";
    }
  }
  for (const char* s : {"mean", "var"}) {
    Tensor pa = a.parameter(s), pb = b.parameter(s);
    for (int64_t i = 0; i < pa.numel(); ++i) EXPECT_NEAR(pb.GetAsDouble(i), pa.GetAsDouble(i), 1e-5);
  }
}

}  // namespace
}  // namespace bronze
