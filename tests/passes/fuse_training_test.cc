// fuse in a training graph: an MLP whose forward (bias add, gelu, tanh-scaled residual) and
// backward (gelu_grad, tanh_grad, products) elementwise chains fuse trains to the same
// parameters as the unfused step, at 1 and 2 threads; the compiled step holds fused nodes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "tests/test_util.h"

namespace bronze {
namespace {

using testing::RandomF32;

// x (N, 8) -> matmul 16 + bias -> gelu -> h + 0.5 * tanh(h) -> linear 1; loss = mse(y, t).
Graph Model() {
  std::mt19937_64 rng(11);
  Graph g("mlp");
  GraphBuilder b(g);
  const Dim n = Dim::Symbol("N");
  Value x = b.Placeholder("x", DType::kF32, Shape{n, 8});
  Value t = b.Placeholder("t", DType::kF32, Shape{n, 1});
  Value w1 = b.Parameter("w1", RandomF32({8, 16}, rng, 0.35));
  Value b1 = b.Parameter("b1", RandomF32({16}, rng, 0.1));
  Value h = b.Op1("gelu", {b.Op1("add", {b.Op1("matmul", {x, w1}), b1})});
  Value half = b.Constant(Tensor::Scalar<float>(0.5f));
  h = b.Op1("add", {h, b.Op1("mul", {b.Op1("tanh", {h}), half})});
  Value w2 = b.Parameter("w2", RandomF32({1, 16}, rng, 0.25));
  Value b2 = b.Parameter("b2", Tensor::Zeros(DType::kF32, {1}));
  b.Output("loss", b.Op1("mse", {b.Op1("linear", {h, w2, b2}), t}));
  return g;
}

NamedTensors Batch(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tensor x = RandomF32({n, 8}, rng, 1.0);
  Tensor t = Tensor::Empty(DType::kF32, {n, 1});
  for (int64_t i = 0; i < n; ++i) {
    t.data<float>()[i] = std::sin(x.data<float>()[8 * i]) * x.data<float>()[8 * i + 1];
  }
  return {{"x", x}, {"t", t}};
}

std::vector<Tensor> Train(bool fuse, int threads, int* fused_nodes) {
  TrainerOptions o;
  o.training.optimizer = OptimizerSpec::Adam();
  o.lr = 1e-2;
  o.session.threads = threads;
  if (!fuse) o.session.pipeline = {"shape_infer", "dce"};
  Trainer tr(Model(), o);
  for (int s = 0; s < 30; ++s) tr.Step(Batch(64, 100 + s));
  *fused_nodes = 0;
  const Graph& g = tr.session().graph();
  for (NodeId id : g.node_ids()) *fused_nodes += g.node(id).op_name() == "fused_elementwise";
  std::vector<Tensor> params;
  for (const std::string& p : tr.parameters()) params.push_back(tr.parameter(p).Clone());
  return params;
}

TEST(FuseTraining, TrainsToTheSameParametersAsTheUnfusedStep) {
  int fused = 0, plain = 0, fused1 = 0;
  const std::vector<Tensor> a = Train(true, 2, &fused), b = Train(false, 2, &plain),
                            c = Train(true, 1, &fused1);
  EXPECT_GE(fused, 2) << "forward and backward chains should fuse";
  EXPECT_EQ(plain, 0);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].numel(), b[k].numel());
    for (int64_t i = 0; i < a[k].numel(); ++i) {
      const float x = a[k].data<float>()[i], y = b[k].data<float>()[i];
      EXPECT_NEAR(x, y, 1e-5 + 1e-5 * std::fabs(y)) << "parameter " << k << " element " << i;
    }
    EXPECT_EQ(std::memcmp(a[k].raw_data(), c[k].raw_data(), a[k].nbytes()), 0)
        << "parameter " << k << " differs between 2 and 1 threads";
  }
}

}  // namespace
}  // namespace bronze
