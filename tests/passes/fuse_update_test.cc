// fuse's update step (passes/fuse_update.cc): sgd_update(param, matmul(a, b), lr) becomes
// matmul_sgd_update as a before/after text IR pair, with momentum its state joins; nesterov, a
// gradient with a second reader and f64 stay apart, with the reason remarked. In a training
// step, an MLP with SGD (weight decay, momentum) trains to the same parameters fused and
// unfused, bitwise alike at 1 and 2 threads, every weight update fuses, and the step's arena no
// longer holds a weight gradient.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>

#include "tests/passes/fuse_test_util.h"
#include "tests/test_util.h"

namespace bronze {
namespace {

using testing::ExpectFuse;

// A weight gradient dy^T @ x and the SGD step that reads it; `update_attrs` and the operands'
// shapes vary per test.
std::string Step(const std::string& dtype, const std::string& update_attrs,
                 const std::string& extra_output = "") {
  const std::string t = dtype;
  return "graph \"step\" {\n"
         "  %x = placeholder() {dtype = " + t + ", shape = (N, 4)} : " + t + "[N, 4]\n"
         "  %dy = placeholder() {dtype = " + t + ", shape = (N, 3)} : " + t + "[N, 3]\n"
         "  %lr = placeholder() {dtype = f32, shape = ()} : f32[]\n"
         "  %w = parameter() {dtype = " + t + ", shape = (3, 4)} : " + t +
         "[3, 4] data [0.5, -1, 0.25, 2, 1, 1, -0.5, 0.75, -2, 0.5, 1.5, -0.25]\n"
         "  %gw = matmul(%dy, %x) {transpose_a = 1} : " + t + "[3, 4] @\"m.py:7\"\n"
         "  %upd = sgd_update(%w, %gw, %lr) {" + update_attrs + "} : " + t +
         "[3, 4] @\"m.py:8\"\n"
         "  return dy = %dy" + extra_output + "\n"
         "}\n";
}

constexpr const char* kPlain = "dampening = 0, momentum = 0, nesterov = 0, weight_decay = 0.01";

TEST(FuseUpdate, WeightGradientAndSgdBecomeMatmulSgdUpdate) {
  const std::string r = ExpectFuse(Step("f32", kPlain), R"(graph "step" {
  %x = placeholder() {dtype = f32, shape = (N, 4)} : f32[N, 4]
  %dy = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]
  %lr = placeholder() {dtype = f32, shape = ()} : f32[]
  %w = parameter() {dtype = f32, shape = (3, 4)} : f32[3, 4] data [0.5, -1, 0.25, 2, 1, 1, -0.5, 0.75, -2, 0.5, 1.5, -0.25]
  %upd = matmul_sgd_update(%w, %dy, %x, %lr) {dampening = 0.0, momentum = 0.0, transpose_a = 1, weight_decay = 0.01} : f32[3, 4] @"m.py:8"
  return dy = %dy
}
)",
                                   true);
  EXPECT_NE(r.find("fused gw + upd into one matmul_sgd_update node upd"), std::string::npos) << r;
}

// The graph is left as it is, with `remark` among the remarks.
void ExpectNotFused(Graph g, const std::string& remark) {
  std::vector<PassRemark> remarks;
  testing::RunFuse(g, &remarks);
  bool any = false;
  for (NodeId id : g.node_ids()) any |= g.node(id).op_name() == "matmul_sgd_update";
  EXPECT_FALSE(any) << PrintGraph(g);
  const std::string r = testing::Remarks(remarks);
  EXPECT_NE(r.find(remark), std::string::npos) << r;
}

// The update with momentum: its buffer and step counter are state.
Graph MomentumStep(int64_t nesterov) {
  Graph g("step");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{Dim::Symbol("N"), 4});
  Value dy = b.Placeholder("dy", DType::kF32, Shape{Dim::Symbol("N"), 3});
  Value lr = b.Placeholder("lr", DType::kF32, Shape{});
  Value w = b.Parameter("w", Tensor::Zeros(DType::kF32, {3, 4}));
  Value buf = b.State("buf", Tensor::Zeros(DType::kF32, {3, 4}));
  Value step = b.State("st", Tensor::Zeros(DType::kI64, {}));
  Value gw = b.Op1("matmul", {dy, x}, {{"transpose_a", Attribute(int64_t{1})}}, "gw");
  b.Op("sgd_update", {w, gw, lr, buf, step}, {{"momentum", 0.9}, {"nesterov", nesterov}}, "upd");
  b.Output("dy", dy);
  return g;
}

TEST(FuseUpdate, MomentumFusesWithItsState) {
  Graph g = MomentumStep(0);
  std::vector<PassRemark> remarks;
  EXPECT_TRUE(testing::RunFuse(g, &remarks));
  EXPECT_NO_THROW(Verify(g));
  const NodeId id = g.FindNode("upd");
  ASSERT_NE(id, kNoNode);
  const Node& n = g.node(id);
  EXPECT_EQ(n.op_name(), "matmul_sgd_update");
  ASSERT_EQ(n.inputs.size(), 6u);
  EXPECT_EQ(g.node(n.inputs[4].node).name, "buf");
  EXPECT_EQ(g.node(n.inputs[5].node).name, "st");
  EXPECT_EQ(n.outputs.size(), 3u);
  EXPECT_DOUBLE_EQ(n.attrs.at("momentum").f(), 0.9);
  EXPECT_EQ(g.FindNode("gw"), kNoNode);
}

TEST(FuseUpdate, NesterovStays) {
  ExpectNotFused(MomentumStep(1),
                 "upd: update not fused with its gradient: nesterov momentum reads the gradient");
}

TEST(FuseUpdate, AGradientWithAnotherReaderStays) {
  ExpectNotFused(ParseGraph(Step("f32", kPlain, ", g = %gw")), "the gradient gw is a graph output");
}

TEST(FuseUpdate, F64Stays) {
  ExpectNotFused(ParseGraph(Step("f64", kPlain)), "dtype f64 (the oneDNN path is f32)");
}

// x (N, 16) -> matmul w1 (16, 64) + b1 -> relu -> linear 64 -> 8 (w2, b2) -> relu -> linear 8 -> 1;
// loss = mse(y, t). w1 is a matmul operand and w2, w3 linear weights: all three gradients are
// 2-D products.
Graph Mlp() {
  std::mt19937_64 rng(5);
  Graph g("mlp");
  GraphBuilder b(g);
  const Dim n = Dim::Symbol("N");
  Value x = b.Placeholder("x", DType::kF32, Shape{n, 16});
  Value t = b.Placeholder("t", DType::kF32, Shape{n, 1});
  Value w1 = b.Parameter("w1", testing::RandomF32({16, 64}, rng, 0.25));
  Value b1 = b.Parameter("b1", Tensor::Zeros(DType::kF32, {64}));
  Value h = b.Op1("relu", {b.Op1("add", {b.Op1("matmul", {x, w1}), b1})});
  Value w2 = b.Parameter("w2", testing::RandomF32({8, 64}, rng, 0.125));
  Value b2 = b.Parameter("b2", Tensor::Zeros(DType::kF32, {8}));
  h = b.Op1("relu", {b.Op1("linear", {h, w2, b2})});
  Value w3 = b.Parameter("w3", testing::RandomF32({1, 8}, rng, 0.35));
  Value b3 = b.Parameter("b3", Tensor::Zeros(DType::kF32, {1}));
  b.Output("loss", b.Op1("mse", {b.Op1("linear", {h, w3, b3}), t}));
  return g;
}

NamedTensors Batch(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tensor x = testing::RandomF32({n, 16}, rng, 1.0);
  Tensor t = Tensor::Empty(DType::kF32, {n, 1});
  for (int64_t i = 0; i < n; ++i) {
    t.data<float>()[i] = std::sin(x.data<float>()[16 * i]) + 0.5f * x.data<float>()[16 * i + 3];
  }
  return {{"x", x}, {"t", t}};
}

struct Trained {
  std::vector<Tensor> params;
  int fused_updates = 0;
  MemoryReport memory;
};

Trained Train(bool fuse, int threads, double weight_decay, double momentum) {
  TrainerOptions o;
  o.training.optimizer = OptimizerSpec::SGD(momentum, momentum > 0 ? 0.1 : 0.0, weight_decay);
  o.lr = 0.05;
  o.session.threads = threads;
  if (!fuse) o.session.pipeline = {"shape_infer", "dce"};
  Trainer tr(Mlp(), o);
  for (int s = 0; s < 20; ++s) tr.Step(Batch(32, 200 + s));
  Trained r;
  const Graph& g = tr.session().graph();
  for (NodeId id : g.node_ids()) r.fused_updates += g.node(id).op_name() == "matmul_sgd_update";
  for (const std::string& p : tr.parameters()) r.params.push_back(tr.parameter(p).Clone());
  r.memory = tr.Memory(Batch(32, 1));
  return r;
}

TEST(FuseUpdate, SgdStepTrainsAsUnfusedWithoutWeightGradientBuffers) {
  for (const auto& [wd, mu] : {std::pair{0.0, 0.0}, {0.01, 0.0}, {0.0, 0.9}, {0.01, 0.9}}) {
    SCOPED_TRACE("weight_decay " + std::to_string(wd) + ", momentum " + std::to_string(mu));
    const Trained fused = Train(true, 2, wd, mu), plain = Train(false, 2, wd, mu),
                  one = Train(true, 1, wd, mu);
    EXPECT_EQ(fused.fused_updates, 3) << "w1, w2 and w3 should update inside their GEMMs";
    EXPECT_EQ(plain.fused_updates, 0);
    ASSERT_EQ(fused.params.size(), plain.params.size());
    for (size_t k = 0; k < fused.params.size(); ++k) {
      const Tensor& a = fused.params[k];
      const Tensor& b = plain.params[k];
      for (int64_t i = 0; i < a.numel(); ++i) {
        const float x = a.data<float>()[i], y = b.data<float>()[i];
        EXPECT_NEAR(x, y, 1e-5 + 1e-4 * std::fabs(y)) << "parameter " << k << " element " << i;
      }
      EXPECT_EQ(std::memcmp(a.raw_data(), one.params[k].raw_data(), a.nbytes()), 0)
          << "parameter " << k << " differs between 2 and 1 threads";
    }
    // The unfused step holds w1's gradient (16 x 64 floats) in its arena; fused, no weight
    // gradient exists, and the peak of live intermediates drops.
    EXPECT_GE(plain.memory.live_peak_bytes, 16 * 64 * sizeof(float));
    EXPECT_LT(fused.memory.live_peak_bytes, plain.memory.live_peak_bytes);
  }
}

}  // namespace
}  // namespace bronze
