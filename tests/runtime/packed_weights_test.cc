// Constant weights (KernelSignature::constant_inputs, runtime/plan.cc): a GEMM whose weight is a
// parameter no node writes packs it once (kernels/cpu/onednn.h, GemmShape::constant_b). These
// tests run the fast kernels against the reference kernels, which never pack, and show that
// the packed copy follows set_parameter, and that a weight an optimizer updates in place is
// never treated as constant.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "graph/builder.h"
#include "runtime/session.h"
#include "tests/test_util.h"

namespace bronze::testing {
namespace {

constexpr int64_t kRows = 24, kIn = 40, kOut = 36;  // more than 4 rows: the packing GEMM path

double MaxRelDiff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.dims(), b.dims());
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.data<float>()[i], y = b.data<float>()[i];
    worst = std::max(worst, std::abs(x - y) / (1.0 + std::abs(y)));
  }
  return worst;
}

// y = relu(x @ w^T + bias) (fused into linear_fused by the default pipeline) and z = x @ w2.
Graph Layers(std::mt19937_64& rng) {
  Graph g("layers");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {kRows, kIn});
  Value w = b.Parameter("w", RandomF32({kOut, kIn}, rng, 1.0));
  Value bias = b.Parameter("bias", RandomF32({kOut}, rng, 1.0));
  Value w2 = b.Parameter("w2", RandomF32({kIn, kOut}, rng, 1.0));
  b.Output("y", b.Op1("relu", {b.Op1("linear", {x, w, bias})}));
  b.Output("z", b.Op1("matmul", {x, w2}));
  return g;
}

void ExpectSessionsAgree(const Session& fast, const Session& ref, const Tensor& x,
                         const std::string& when) {
  const std::vector<Tensor> inputs = {x};
  const std::vector<Tensor> a = fast.Run(inputs), b = ref.Run(inputs);
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_LT(MaxRelDiff(a[k], b[k]), 1e-5) << "output " << k << " " << when;
  }
}

TEST(PackedWeights, FollowSetParameter) {
  std::mt19937_64 rng(7);
  Graph g = Layers(rng);
  SessionOptions ref_options;
  ref_options.backend = "ref";
  Session fast(g), ref(g, ref_options);
  const Tensor x = RandomF32({kRows, kIn}, rng, 1.0);
  const std::vector<Tensor> inputs = {x};
  const Tensor y0 = fast.Run(inputs)[0].Clone();
  ExpectSessionsAgree(fast, ref, x, "with the initial weights");
  ExpectSessionsAgree(fast, ref, x, "on a second run (the packed copy reused)");
  for (int round = 0; round < 3; ++round) {
    // New values in new storage each time (an old buffer's address may come back: the
    // packed copy must not be matched by address alone).
    for (const char* name : {"w", "w2"}) {
      const Tensor next = RandomF32(fast.parameter(name).dims(), rng, 1.0);
      fast.set_parameter(name, next);
      ref.set_parameter(name, next);
    }
    ExpectSessionsAgree(fast, ref, x, "after set_parameter, round " + std::to_string(round));
  }
  EXPECT_GT(MaxRelDiff(fast.Run(inputs)[0], y0), 1e-3) << "the new weights changed nothing";
}

// An SGD update writes w in place after the linear read it: each run must see the weight the
// previous run left (a packed copy of the first value would repeat the first output).
TEST(PackedWeights, WeightUpdatedInPlaceIsNotConstant) {
  std::mt19937_64 rng(11);
  Graph g("sgd");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {kRows, kIn});
  Value grad = b.Placeholder("grad", DType::kF32, {kOut, kIn});
  Value w = b.Parameter("w", RandomF32({kOut, kIn}, rng, 1.0));
  Value lr = b.Constant(Tensor::Scalar<float>(0.5f), "lr");
  b.Output("y", b.Op1("linear", {x, w}));
  b.Op("sgd_update", {w, grad, lr});
  SessionOptions ref_options;
  ref_options.backend = "ref";
  Session fast(g), ref(g, ref_options);
  const Tensor xv = RandomF32({kRows, kIn}, rng, 1.0);
  const Tensor gv = RandomF32({kOut, kIn}, rng, 1.0);
  const std::vector<Tensor> inputs = {xv, gv};
  Tensor first;
  for (int step = 0; step < 3; ++step) {
    const Tensor a = fast.Run(inputs)[0], r = ref.Run(inputs)[0];
    EXPECT_LT(MaxRelDiff(a, r), 1e-5) << "step " << step;
    if (step == 0) first = a.Clone();
  }
  EXPECT_GT(MaxRelDiff(fast.Run(inputs)[0], first), 1e-3) << "the updates changed nothing";
}

}  // namespace
}  // namespace bronze::testing
