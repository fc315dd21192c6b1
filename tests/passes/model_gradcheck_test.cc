// Whole-model gradient checks in float64 against central differences (tests/support/gradcheck.h):
// an MLP (linear, relu, linear, cross_entropy) and a CNN (conv2d, batch_norm in training mode,
// relu, max_pool2d, dropout with a fixed mask, flatten, linear, cross_entropy), with respect to
// every parameter and the input.
#include <gtest/gtest.h>

#include <random>

#include "tests/support/gradcheck.h"

namespace bronze::testing {
namespace {

Tensor Normal(Dims dims, std::mt19937_64& rng, double scale = 1.0) {
  Tensor t = Tensor::Empty(DType::kF64, dims);
  std::normal_distribution<double> normal(0.0, scale);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = normal(rng);
  return t;
}

Tensor Labels(int64_t n, int64_t classes, std::mt19937_64& rng) {
  Tensor t = Tensor::Empty(DType::kI64, {n});
  for (int64_t i = 0; i < n; ++i) t.data<int64_t>()[i] = static_cast<int64_t>(rng() % static_cast<uint64_t>(classes));
  return t;
}

TEST(ModelGradCheck, Mlp) {
  std::mt19937_64 rng(11);
  Graph g("mlp");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, Shape{4, 5});
  Value y = b.Placeholder("y", DType::kI64, Shape{4});
  Value h = b.Op1("linear", {x, b.Parameter("w1", Normal({6, 5}, rng, 0.5)), b.Parameter("b1", Normal({6}, rng, 0.1))});
  h = b.Op1("relu", {h});
  h = b.Op1("linear", {h, b.Parameter("w2", Normal({3, 6}, rng, 0.5)), b.Parameter("b2", Normal({3}, rng, 0.1))});
  b.Output("loss", b.Op1("cross_entropy", {h, y}));
  NamedTensors in{{"x", Normal({4, 5}, rng)}, {"y", Labels(4, 3, rng)}};
  EXPECT_EQ(CheckGradients(g, {"x", "w1", "b1", "w2", "b2"}, in), "");
}

TEST(ModelGradCheck, CnnWithBatchNormAndDropout) {
  std::mt19937_64 rng(12);
  Graph g("cnn");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, Shape{2, 2, 6, 6});
  Value y = b.Placeholder("y", DType::kI64, Shape{2});
  Value h = b.Op1("conv2d", {x, b.Parameter("conv/weight", Normal({3, 2, 3, 3}, rng, 0.4)),
                             b.Parameter("conv/bias", Normal({3}, rng, 0.1))},
                  {{"padding", std::vector<int64_t>{1, 1}}});
  std::vector<Value> bn = b.Op("batch_norm",
                               {h, b.Parameter("bn/weight", Normal({3}, rng, 0.3)),
                                b.Parameter("bn/bias", Normal({3}, rng, 0.1)),
                                b.State("bn/running_mean", Tensor::Zeros(DType::kF64, {3})),
                                b.State("bn/running_var", Tensor::FromVector<double>({3}, {1, 1, 1}))},
                               {{"training", int64_t{1}}});
  h = b.Op1("relu", {bn[0]});
  h = b.Op1("max_pool2d", {h}, {{"kernel_size", std::vector<int64_t>{2, 2}}});
  // A fixed mask: a constant offset and seed.
  h = b.Op1("dropout", {h, b.Constant(Tensor::Scalar<int64_t>(3))},
            {{"p", 0.3}, {"seed", int64_t{5}}, {"training", int64_t{1}}});
  h = b.Op1("flatten", {h}, {{"start_dim", int64_t{1}}});
  h = b.Op1("linear", {h, b.Parameter("fc/weight", Normal({4, 27}, rng, 0.3)), b.Parameter("fc/bias", Normal({4}, rng, 0.1))});
  b.Output("loss", b.Op1("cross_entropy", {h, y}));
  NamedTensors in{{"x", Normal({2, 2, 6, 6}, rng)}, {"y", Labels(2, 4, rng)}};
  EXPECT_EQ(CheckGradients(g, {"x", "conv/weight", "conv/bias", "bn/weight", "bn/bias", "fc/weight", "fc/bias"}, in), "");
}

}  // namespace
}  // namespace bronze::testing
