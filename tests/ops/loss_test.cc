// Focused tests of the loss ops against values derived in the test, in double, from the PyTorch
// definitions (not from a reference run): cross_entropy with label smoothing as the cross entropy
// of the smoothed target distribution, ignore_index and its effect on the mean, spatial targets,
// nll as cross_entropy after log_softmax, binary_cross_entropy_with_logits with pos_weight from
// the textbook sigmoid form, and its stability for large logits. Each runs on the reference
// kernels and on the default (fast) kernels with 2 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/ops/op_cases.h"
#include "tests/ops/target_sweep.h"

namespace bronze::testing {
namespace {

std::vector<Tensor> RunOp(const std::string& op, const AttrMap& attrs,
                          const std::vector<Tensor>& in, const std::string& backend) {
  std::vector<TensorType> types;
  for (const Tensor& t : in) types.push_back({t.dtype(), Shape::FromDims(t.dims())});
  Graph g = SingleOpGraph(op, attrs, types);
  SessionOptions options;
  options.backend = backend;
  options.threads = 2;
  return Session(g, options).Run(in);
}

void ExpectValues(const Tensor& got, const Dims& dims, const std::vector<double>& want,
                  double rtol = 2e-6) {
  ASSERT_EQ(got.dims(), dims);
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double w = want[static_cast<size_t>(i)];
    if (std::isnan(w)) {
      EXPECT_TRUE(std::isnan(got.GetAsDouble(i))) << "element " << i;
    } else {
      EXPECT_NEAR(got.GetAsDouble(i), w, rtol * std::abs(w) + 1e-6) << "element " << i;
    }
  }
}

class LossTest : public ::testing::TestWithParam<std::string> {};  // the backend

// Cross entropy of logits z against the label-smoothed target distribution
// q = (1 - ls) * onehot(t) + ls / C: -sum_c q_c * log(softmax(z)_c).
double SmoothedCrossEntropy(const std::vector<double>& z, int64_t t, double ls) {
  double denom = 0;
  for (double v : z) denom += std::exp(v);
  const double c = static_cast<double>(z.size());
  double loss = 0;
  for (size_t k = 0; k < z.size(); ++k) {
    const double q = (static_cast<int64_t>(k) == t ? 1 - ls : 0) + ls / c;
    loss -= q * std::log(std::exp(z[k]) / denom);
  }
  return loss;
}

TEST_P(LossTest, CrossEntropyWithLabelSmoothingAndIgnoreIndexMatchesTheSmoothedTarget) {
  const std::vector<float> logits = {1.0f,  2.0f,  0.5f,  -1.0f, 0.0f,  3.0f,
                                     0.25f, 0.25f, -2.0f, 4.0f,  -1.5f, 0.75f};
  const std::vector<int64_t> targets = {2, -100, 0, 1};
  const Tensor x = Tensor::FromVector<float>({4, 3}, logits);
  const Tensor t = Tensor::FromVector<int64_t>({4}, targets);
  for (double ls : {0.0, 0.2, 1.0}) {
    SCOPED_TRACE("label_smoothing " + std::to_string(ls));
    std::vector<double> per_sample;
    double sum = 0;
    int counted = 0;
    for (int n = 0; n < 4; ++n) {
      std::vector<double> z(logits.begin() + 3 * n, logits.begin() + 3 * n + 3);
      double v = targets[static_cast<size_t>(n)] == -100
                     ? 0
                     : SmoothedCrossEntropy(z, targets[static_cast<size_t>(n)], ls);
      per_sample.push_back(v);
      sum += v;
      counted += targets[static_cast<size_t>(n)] == -100 ? 0 : 1;
    }
    ExpectValues(RunOp("cross_entropy", {{"label_smoothing", ls}, {"reduction", "none"}}, {x, t},
                       GetParam())[0],
                 {4}, per_sample);
    ExpectValues(RunOp("cross_entropy", {{"label_smoothing", ls}, {"reduction", "sum"}}, {x, t},
                       GetParam())[0],
                 {}, {sum});
    // The mean divides by the 3 non-ignored samples, not by 4.
    ExpectValues(RunOp("cross_entropy", {{"label_smoothing", ls}}, {x, t}, GetParam())[0], {},
                 {sum / counted});
  }
}

TEST_P(LossTest, CrossEntropyAllIgnoredMeanIsNaNAndSumIsZero) {
  const Tensor x = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  const Tensor t = Tensor::FromVector<int32_t>({2}, {7, 7});
  const AttrMap mean = {{"ignore_index", 7}, {"label_smoothing", 0.1}};
  EXPECT_TRUE(std::isnan(RunOp("cross_entropy", mean, {x, t}, GetParam())[0].GetAsDouble(0)));
  const AttrMap sum = {{"ignore_index", 7}, {"reduction", "sum"}};
  EXPECT_EQ(RunOp("cross_entropy", sum, {x, t}, GetParam())[0].GetAsDouble(0), 0.0);
}

TEST_P(LossTest, CrossEntropySpatialTargetsReadTheClassesAlongDimOne) {
  // x (N=2, C=3, L=5): sample (n, l) has logits x[n, :, l].
  std::vector<float> logits;
  for (int k = 0; k < 2 * 3 * 5; ++k) logits.push_back(static_cast<float>(std::sin(0.7 * k) * 2));
  const std::vector<int64_t> targets = {0, 1, 2, 1, -1, 2, 2, 0, -1, 1};
  const Tensor x = Tensor::FromVector<float>({2, 3, 5}, logits);
  const Tensor t = Tensor::FromVector<int64_t>({2, 5}, targets);
  std::vector<double> want;
  for (int n = 0; n < 2; ++n) {
    for (int l = 0; l < 5; ++l) {
      std::vector<double> z;
      for (int c = 0; c < 3; ++c) z.push_back(logits[static_cast<size_t>((n * 3 + c) * 5 + l)]);
      const int64_t tt = targets[static_cast<size_t>(n * 5 + l)];
      want.push_back(tt == -1 ? 0 : SmoothedCrossEntropy(z, tt, 0.3));
    }
  }
  const AttrMap attrs = {{"ignore_index", -1}, {"label_smoothing", 0.3}, {"reduction", "none"}};
  ExpectValues(RunOp("cross_entropy", attrs, {x, t}, GetParam())[0], {2, 5}, want);
}

TEST_P(LossTest, NllOfLogSoftmaxIsCrossEntropy) {
  const std::vector<double> z = {0.3, -1.2, 2.2, 0.0, 1.0, -0.5};
  std::vector<float> log_probs;
  for (int n = 0; n < 2; ++n) {
    double denom = 0;
    for (int c = 0; c < 3; ++c) denom += std::exp(z[static_cast<size_t>(3 * n + c)]);
    for (int c = 0; c < 3; ++c)
      log_probs.push_back(static_cast<float>(z[static_cast<size_t>(3 * n + c)] - std::log(denom)));
  }
  const Tensor lp = Tensor::FromVector<float>({2, 3}, log_probs);
  const Tensor t = Tensor::FromVector<int64_t>({2}, {2, 0});
  const double ce0 = SmoothedCrossEntropy({z[0], z[1], z[2]}, 2, 0);
  const double ce1 = SmoothedCrossEntropy({z[3], z[4], z[5]}, 0, 0);
  ExpectValues(RunOp("nll", {{"reduction", "none"}}, {lp, t}, GetParam())[0], {2}, {ce0, ce1});
  ExpectValues(RunOp("nll", {}, {lp, t}, GetParam())[0], {}, {(ce0 + ce1) / 2});
  // And -input[target] exactly, for any input.
  const Tensor raw = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectValues(RunOp("nll", {{"reduction", "sum"}}, {raw, t}, GetParam())[0], {}, {-3.0 - 4.0});
}

double Sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

TEST_P(LossTest, BceWithLogitsAndPosWeightMatchTheSigmoidForm) {
  // loss = -(pw * t * log(sigmoid(x)) + (1 - t) * log(1 - sigmoid(x))), pw per class (last dim).
  const std::vector<float> x = {0.5f, -1.0f, 2.0f, -3.0f, 0.0f, 1.5f};
  const std::vector<float> t = {1.0f, 0.0f, 0.25f, 1.0f, 0.5f, 0.0f};
  const std::vector<float> pw = {2.0f, 0.5f, 3.0f};
  std::vector<double> plain, weighted;
  for (size_t i = 0; i < x.size(); ++i) {
    const double s = Sigmoid(x[i]);
    plain.push_back(-(t[i] * std::log(s) + (1 - t[i]) * std::log(1 - s)));
    weighted.push_back(-(pw[i % 3] * t[i] * std::log(s) + (1 - t[i]) * std::log(1 - s)));
  }
  const Tensor tx = Tensor::FromVector<float>({2, 3}, x), tt = Tensor::FromVector<float>({2, 3}, t);
  const Tensor tpw = Tensor::FromVector<float>({3}, pw);
  const std::string op = "binary_cross_entropy_with_logits";
  ExpectValues(RunOp(op, {{"reduction", "none"}}, {tx, tt}, GetParam())[0], {2, 3}, plain);
  ExpectValues(RunOp(op, {{"reduction", "none"}}, {tx, tt, tpw}, GetParam())[0], {2, 3}, weighted);
  double sum = 0;
  for (double v : weighted) sum += v;
  ExpectValues(RunOp(op, {}, {tx, tt, tpw}, GetParam())[0], {}, {sum / 6});
  ExpectValues(RunOp(op, {{"reduction", "sum"}}, {tx, tt, tpw}, GetParam())[0], {}, {sum});
}

TEST_P(LossTest, BceWithLogitsIsStableForLargeLogits) {
  // max(x, 0) - x * t + log1p(exp(-|x|)): exp never overflows, log never sees 0.
  const Tensor x = Tensor::FromVector<float>({4}, {100, -100, 100, 1e30f});
  const Tensor t = Tensor::FromVector<float>({4}, {0, 1, 1, 0.5f});
  ExpectValues(
      RunOp("binary_cross_entropy_with_logits", {{"reduction", "none"}}, {x, t}, GetParam())[0],
      {4}, {100, 100, std::log1p(std::exp(-100.0)), 0.5e30});
}

TEST_P(LossTest, MseAndL1AreMeansOfSquaredAndAbsoluteDifferences) {
  const Tensor x = Tensor::FromVector<float>({2, 2}, {1, -2, 3, 0.5f});
  const Tensor t = Tensor::FromVector<float>({2, 2}, {0, 1, 3, -0.5f});
  ExpectValues(RunOp("mse", {}, {x, t}, GetParam())[0], {}, {(1.0 + 9.0 + 0.0 + 1.0) / 4});
  ExpectValues(RunOp("l1", {}, {x, t}, GetParam())[0], {}, {(1.0 + 3.0 + 0.0 + 1.0) / 4});
  ExpectValues(RunOp("mse", {{"reduction", "none"}}, {x, t}, GetParam())[0], {2, 2}, {1, 9, 0, 1});
  ExpectValues(RunOp("l1", {{"reduction", "sum"}}, {x, t}, GetParam())[0], {}, {5});
  const Tensor empty = Tensor::Zeros(DType::kF32, {0});
  EXPECT_TRUE(std::isnan(RunOp("mse", {}, {empty, empty}, GetParam())[0].GetAsDouble(0)));
  EXPECT_EQ(RunOp("l1", {{"reduction", "sum"}}, {empty, empty}, GetParam())[0].GetAsDouble(0), 0.0);
}

TEST(LossShapes, SymbolicBatchDimFlowsThroughToTheUnreducedLoss) {
  const Dim n = Dim::Symbol("N");
  Graph g = SingleOpGraph("cross_entropy", {{"reduction", "none"}},
                          {{DType::kF32, {n, 10, 4}}, {DType::kI64, {n, 4}}});
  EXPECT_EQ(g.type(g.outputs()[0].value).shape, Shape({n, 4}));
  Graph m = SingleOpGraph("mse", {}, {{DType::kF32, {n, 3}}, {DType::kF32, {n, 3}}});
  EXPECT_EQ(m.type(m.outputs()[0].value).shape, Shape());
}

// The fast kernels dispatch at run time to the best Highway target; this runs every loss case on
// every target this machine supports (down to the one-lane scalar fallback) against the reference.
TEST(LossTargets, EveryHighwayTargetMatchesTheReference) {
  RecordProperty("targets", ExpectEveryHighwayTargetMatchesTheReference(
                                {"cross_entropy", "nll", "mse", "l1",
                                 "binary_cross_entropy_with_logits"}));
}

std::string BackendName(const ::testing::TestParamInfo<std::string>& param) {
  return param.param.empty() ? std::string("fast") : param.param;
}

INSTANTIATE_TEST_SUITE_P(Backends, LossTest, ::testing::Values("ref", ""), BackendName);

}  // namespace
}  // namespace bronze::testing
