// Focused gradient tests of the loss and random families against values derived in the test, in
// double, from the PyTorch definitions: each graph has a symbolic batch N and is run, through one
// session, at two batch sizes, so the "mean" denominators (non-ignored targets, element counts)
// must come from the run, not from the graph. Also PyTorch's conventions: l1's sign(0) = 0,
// ignored targets get exactly 0, and dropout's gradient is the forward's mask and scale,
// recomputed from the same seed and offset. Each runs on the reference kernels and on the
// default (fast) kernels with 2 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

using BuildFn = std::function<Value(GraphBuilder&, const std::vector<Value>&)>;

// A session computing d loss / d inputs[k] for k in `wrt` (outputs in that order), where the
// loss is built by `build` over placeholders in0, in1, ... of the given types.
Session GradSession(const std::vector<TensorType>& types, const BuildFn& build,
                    const std::vector<int>& wrt, const std::string& backend) {
  Graph g("loss_grad");
  GraphBuilder b(g);
  std::vector<Value> in;
  for (size_t i = 0; i < types.size(); ++i) {
    in.push_back(b.Placeholder("in" + std::to_string(i), types[i].dtype, types[i].shape));
  }
  Value loss = build(b, in);
  std::vector<Value> wrt_values;
  for (int k : wrt) wrt_values.push_back(in[static_cast<size_t>(k)]);
  Gradients grads = BuildGradients(g, loss, wrt_values);
  for (size_t k = 0; k < wrt.size(); ++k) {
    EXPECT_TRUE(grads.grads[k].valid()) << "no gradient for input " << wrt[k];
    g.AddOutput("grad" + std::to_string(wrt[k]), grads.grads[k]);
  }
  SessionOptions options;
  options.backend = backend;
  options.threads = 2;
  return Session(std::move(g), options);
}

void ExpectNear(const Tensor& got, const std::vector<double>& want, double tol = 2e-6) {
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double w = want[static_cast<size_t>(i)];
    EXPECT_NEAR(got.GetAsDouble(i), w, tol * (1 + std::abs(w))) << "element " << i;
  }
}

// Deterministic, varied values for n elements.
std::vector<float> Values(int64_t n, double scale, double shift) {
  std::vector<float> v;
  for (int64_t i = 0; i < n; ++i) {
    v.push_back(static_cast<float>(scale * std::sin(1.7 * static_cast<double>(i) + 0.3) + shift));
  }
  return v;
}

double Sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

Shape BatchRows() { return Shape(std::vector<Dim>{Dim::Symbol("N"), Dim(4)}); }
Shape Batch() { return Shape(std::vector<Dim>{Dim::Symbol("N")}); }

class LossGradTest : public ::testing::TestWithParam<std::string> {};  // the backend

TEST_P(LossGradTest, CrossEntropyMeanCountsNonIgnoredTargetsOfEachRun) {
  const double ls = 0.1;
  Session s = GradSession(
      {{DType::kF32, BatchRows()}, {DType::kI64, Batch()}},
      [&](GraphBuilder& b, const std::vector<Value>& in) {
        return b.Op1("cross_entropy", {in[0], in[1]},
                     {{"ignore_index", -1}, {"label_smoothing", ls}});
      },
      {0}, GetParam());
  for (const std::vector<int64_t>& targets :
       {std::vector<int64_t>{2, -1, 0}, std::vector<int64_t>{1, 3, -1, 0, 2, -1, 3}}) {
    const int64_t n = static_cast<int64_t>(targets.size());
    SCOPED_TRACE("N = " + std::to_string(n));
    const std::vector<float> x = Values(n * 4, 2.0, 0.0);
    double count = 0;
    for (int64_t t : targets) count += t == -1 ? 0 : 1;
    // d/dz of -sum_c q_c log softmax(z)_c, q = (1 - ls) onehot + ls / C, is softmax(z) - q.
    std::vector<double> want;
    for (int64_t i = 0; i < n; ++i) {
      double denom = 0;
      for (int k = 0; k < 4; ++k) denom += std::exp(x[static_cast<size_t>(i * 4 + k)]);
      for (int k = 0; k < 4; ++k) {
        const int64_t t = targets[static_cast<size_t>(i)];
        if (t == -1) {
          want.push_back(0);
          continue;
        }
        const double p = std::exp(x[static_cast<size_t>(i * 4 + k)]) / denom;
        const double q = (k == t ? 1 - ls : 0) + ls / 4;
        want.push_back((p - q) / count);
      }
    }
    std::vector<Tensor> out = s.Run(std::vector<Tensor>{
        Tensor::FromVector<float>({n, 4}, x), Tensor::FromVector<int64_t>({n}, targets)});
    ExpectNear(out[0], want);
    for (int64_t i = 0; i < n; ++i) {
      if (targets[static_cast<size_t>(i)] != -1) continue;
      for (int k = 0; k < 4; ++k) EXPECT_EQ(out[0].GetAsDouble(i * 4 + k), 0.0);  // exactly
    }
  }
}

TEST_P(LossGradTest, NllSumAndSpatialMean) {
  // nll over (N, 3, 2) log-probabilities, mean over the non-ignored (n, position) samples.
  const Shape x_shape(std::vector<Dim>{Dim::Symbol("N"), Dim(3), Dim(2)});
  const Shape t_shape(std::vector<Dim>{Dim::Symbol("N"), Dim(2)});
  Session s = GradSession(
      {{DType::kF32, x_shape}, {DType::kI32, t_shape}},
      [](GraphBuilder& b, const std::vector<Value>& in) {
        return b.Op1("nll", {in[0], in[1]});
      },
      {0}, GetParam());
  for (const std::vector<int32_t>& targets :
       {std::vector<int32_t>{0, 2, -100, 1}, std::vector<int32_t>{2, 2, 1, 0, -100, -100}}) {
    const int64_t n = static_cast<int64_t>(targets.size()) / 2;
    SCOPED_TRACE("N = " + std::to_string(n));
    double count = 0;
    for (int32_t t : targets) count += t == -100 ? 0 : 1;
    std::vector<double> want(static_cast<size_t>(n * 6), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < 2; ++j) {
        const int32_t t = targets[static_cast<size_t>(i * 2 + j)];
        if (t != -100) want[static_cast<size_t>((i * 3 + t) * 2 + j)] = -1 / count;
      }
    }
    std::vector<Tensor> out = s.Run(std::vector<Tensor>{
        Tensor::FromVector<float>({n, 3, 2}, Values(n * 6, 1.0, -2.0)),
        Tensor::FromVector<int32_t>({n, 2}, targets)});
    ExpectNear(out[0], want);
  }
}

TEST_P(LossGradTest, MseAndL1MeansDivideByTheElementCountOfEachRun) {
  const Shape rows(std::vector<Dim>{Dim::Symbol("N"), Dim(3)});
  for (const char* op : {"mse", "l1"}) {
    SCOPED_TRACE(op);
    const bool mse = std::string(op) == "mse";
    Session s = GradSession(
        {{DType::kF32, rows}, {DType::kF32, rows}},
        [&](GraphBuilder& b, const std::vector<Value>& in) {
          return b.Op1(op, {in[0], in[1]});
        },
        {0, 1}, GetParam());
    for (int64_t n : {2, 5}) {
      SCOPED_TRACE("N = " + std::to_string(n));
      const std::vector<float> x = Values(n * 3, 1.0, 0.0);
      std::vector<float> t = Values(n * 3, 0.5, 0.25);
      t[1] = x[1];  // a tie: l1's subgradient there is sign(0) = 0, as in PyTorch
      std::vector<double> want;
      for (size_t i = 0; i < x.size(); ++i) {
        const double d = static_cast<double>(x[i]) - static_cast<double>(t[i]);
        const double sign = d > 0 ? 1 : d < 0 ? -1 : 0;
        want.push_back((mse ? 2 * d : sign) / static_cast<double>(n * 3));
      }
      std::vector<Tensor> out = s.Run(std::vector<Tensor>{Tensor::FromVector<float>({n, 3}, x),
                                                          Tensor::FromVector<float>({n, 3}, t)});
      ExpectNear(out[0], want);
      for (double& w : want) w = -w;
      ExpectNear(out[1], want);
      if (!mse) {
        EXPECT_EQ(out[0].GetAsDouble(1), 0.0);
        EXPECT_EQ(out[1].GetAsDouble(1), 0.0);
      }
    }
  }
}

TEST_P(LossGradTest, BinaryCrossEntropyWithPosWeightMatchesTheSigmoidForm) {
  const Shape rows(std::vector<Dim>{Dim::Symbol("N"), Dim(3)});
  Session s = GradSession(
      {{DType::kF32, rows}, {DType::kF32, rows}, {DType::kF32, Shape({3})}},
      [](GraphBuilder& b, const std::vector<Value>& in) {
        return b.Op1("binary_cross_entropy_with_logits", {in[0], in[1], in[2]});
      },
      {0, 1, 2}, GetParam());
  const std::vector<float> w = {0.5f, 1.0f, 2.5f};
  for (int64_t n : {1, 4}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    const std::vector<float> x = Values(n * 3, 3.0, 0.2);
    std::vector<float> t = Values(n * 3, 0.5, 0.5);
    // loss = -w t log(sigmoid(x)) - (1 - t) log(1 - sigmoid(x)), averaged over 3N elements.
    const double count = static_cast<double>(n * 3);
    std::vector<double> dx, dt, dw(3, 0.0);
    for (size_t i = 0; i < x.size(); ++i) {
      const double xi = x[i], ti = t[i], wi = w[i % 3], sg = Sigmoid(xi);
      dx.push_back((-wi * ti * (1 - sg) + (1 - ti) * sg) / count);
      dt.push_back((-wi * std::log(sg) + std::log(1 - sg)) / count);
      dw[i % 3] += -ti * std::log(sg) / count;
    }
    std::vector<Tensor> out = s.Run(std::vector<Tensor>{Tensor::FromVector<float>({n, 3}, x),
                                                        Tensor::FromVector<float>({n, 3}, t),
                                                        Tensor::FromVector<float>({3}, w)});
    ExpectNear(out[0], dx);
    ExpectNear(out[1], dt);
    ExpectNear(out[2], dw);
  }
}

TEST_P(LossGradTest, DropoutGradientIsTheForwardMaskAndScale) {
  const Shape rows(std::vector<Dim>{Dim::Symbol("N"), Dim(8)});
  const double p = 0.3;
  const AttrMap attrs = {{"p", p}, {"seed", int64_t{42}}, {"training", int64_t{1}}};
  // loss = sum(dropout(x, offset) * w): d loss / d x = w * mask / (1 - p).
  Graph g("dropout_grad");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, rows);
  Value w = b.Placeholder("w", DType::kF32, rows);
  Value offset = b.Placeholder("offset", DType::kI64, Shape());
  Value y = b.Op1("dropout", {x, offset}, attrs);
  Value loss = b.Op1("reduce_sum", {b.Op1("mul", {y, w})});
  std::vector<Value> wrt = {x};
  Gradients grads = BuildGradients(g, loss, wrt);
  ASSERT_TRUE(grads.grads[0].valid());
  b.Output("y", y);
  b.Output("dx", grads.grads[0]);
  SessionOptions options;
  options.backend = GetParam();
  options.threads = 2;
  Session s(std::move(g), options);
  const float scale = static_cast<float>(1 / (1 - p));
  for (int64_t n : {3, 50}) {
    for (int64_t step : {0, 7}) {
      SCOPED_TRACE("N = " + std::to_string(n) + ", offset " + std::to_string(step));
      std::vector<float> xv(static_cast<size_t>(n * 8));
      for (size_t i = 0; i < xv.size(); ++i) xv[i] = 1.0f + 0.01f * static_cast<float>(i);
      const std::vector<float> wv = Values(n * 8, 1.0, 0.0);
      NamedTensors out = s.Run(NamedTensors{{"x", Tensor::FromVector<float>({n, 8}, xv)},
                                            {"w", Tensor::FromVector<float>({n, 8}, wv)},
                                            {"offset", Tensor::Scalar<int64_t>(step)}});
      int64_t kept = 0;
      for (int64_t i = 0; i < n * 8; ++i) {
        const bool keep = out.at("y").GetAsDouble(i) != 0.0;  // x is never 0
        kept += keep ? 1 : 0;
        const float want = wv[static_cast<size_t>(i)] * (keep ? scale : 0.0f);
        EXPECT_EQ(out.at("dx").GetAsDouble(i), static_cast<double>(want)) << "element " << i;
      }
      EXPECT_GT(kept, 0);
      EXPECT_LT(kept, n * 8);
    }
  }
}

TEST_P(LossGradTest, DropoutInInferenceHasTheIdentityGradient) {
  Session s = GradSession(
      {{DType::kF32, BatchRows()}},
      [](GraphBuilder& b, const std::vector<Value>& in) {
        Value y = b.Op1("dropout", {in[0]}, {{"p", 0.5}, {"training", int64_t{0}}});
        return b.Op1("reduce_sum", {b.Op1("mul", {y, y})});
      },
      {0}, GetParam());
  const std::vector<float> x = Values(8, 1.0, 0.0);
  std::vector<Tensor> out = s.Run(std::vector<Tensor>{Tensor::FromVector<float>({2, 4}, x)});
  std::vector<double> want;
  for (float v : x) want.push_back(2.0 * v);
  ExpectNear(out[0], want);
}

std::string BackendName(const ::testing::TestParamInfo<std::string>& p) {
  return p.param.empty() ? std::string("default") : p.param;
}

INSTANTIATE_TEST_SUITE_P(Backends, LossGradTest, ::testing::Values("ref", ""), BackendName);

}  // namespace
}  // namespace bronze::testing
