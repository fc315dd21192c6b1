// Gradient checks: every registered gradient case (tests/ops/<family>_grad_cases.cc) builds the
// op on float64 inputs, forms loss = sum_k sum(output_k * w_k) with fixed random weights w_k,
// and compares autodiff's gradient of every checked input with float64 central differences on
// the reference kernels (tests/support/gradcheck.h).
#include <gtest/gtest.h>

#include <cctype>
#include <random>

#include "tests/ops/op_cases.h"
#include "tests/support/gradcheck.h"

namespace bronze::testing {
namespace {

class GradCheck : public ::testing::TestWithParam<GradCase> {};

Tensor RandomF64(const Dims& dims, uint64_t seed) {
  Tensor t = Tensor::Empty(DType::kF64, dims);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = normal(rng);
  return t;
}

TEST_P(GradCheck, AutodiffMatchesCentralDifferences) {
  const GradCase& c = GetParam();
  const uint64_t seed = CaseSeed(c.op, "grad/" + c.name);
  Graph g("grad_" + c.op);
  GraphBuilder b(g);
  NamedTensors feed;
  std::vector<Value> in;
  std::vector<std::string> wrt;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    Tensor t = ToF64(MakeInput(c.inputs[i], seed + i));
    std::string name = "in" + std::to_string(i);
    in.push_back(b.Placeholder(name, t.dtype(), Shape::FromDims(t.dims())));
    feed[name] = t;
    const bool listed = std::find(c.wrt.begin(), c.wrt.end(), static_cast<int>(i)) != c.wrt.end();
    if (c.wrt.empty() ? IsFloating(t.dtype()) : listed) wrt.push_back(name);
  }
  ASSERT_FALSE(wrt.empty()) << "the case checks no input";
  std::vector<Value> outs = b.Op(c.op, in, c.attrs, "node_under_test");
  Value loss;
  for (size_t k = 0; k < outs.size(); ++k) {
    const TensorType& t = b.type(outs[k]);
    const bool listed = std::find(c.outputs.begin(), c.outputs.end(), static_cast<int>(k)) != c.outputs.end();
    if (!(c.outputs.empty() ? IsFloating(t.dtype) : listed)) continue;
    Value w = b.Constant(RandomF64(t.shape.static_dims(), seed + 100 + k), "w" + std::to_string(k));
    Value term = b.Op1("reduce_sum", {b.Op1("mul", {outs[k], w})});
    loss = loss.valid() ? b.Op1("add", {loss, term}) : term;
  }
  ASSERT_TRUE(loss.valid()) << "the case puts no output into the loss";
  b.Output("loss", loss);
  GradCheckOptions options;
  options.eps = c.eps;
  options.atol = c.atol;
  options.rtol = c.rtol;
  EXPECT_EQ(CheckGradients(g, wrt, feed, options), "");
}

std::string CaseName(const ::testing::TestParamInfo<GradCase>& info) {
  std::string name = info.param.op + "_" + info.param.name + "_" + std::to_string(info.index);
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Ops, GradCheck, ::testing::ValuesIn(OpCases::Get().grads()), CaseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GradCheck);

}  // namespace
}  // namespace bronze::testing
