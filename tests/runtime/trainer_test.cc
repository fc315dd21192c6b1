// The C++ training API: a compiled training step (forward, loss, backward, optimizer update in
// place) trains an MLP on a synthetic regression problem, two runs with the same seed end with
// bitwise-identical parameters, learning-rate schedules feed the step without recompiling,
// gradient clipping, the memory report (kept forward values, peak bytes), state write-back
// (dropout counter), Explain, and a graph loaded from the text IR.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "tests/test_util.h"

namespace bronze::testing {
namespace {

// x (N, 8) -> linear 32 -> relu -> [dropout] -> linear 32 -> relu -> linear 1; loss = mse(y, t).
Graph Mlp(uint64_t seed, double dropout_p) {
  std::mt19937_64 rng(seed);
  Graph g("mlp");
  GraphBuilder b(g);
  const Dim n = Dim::Symbol("N");
  Value x = b.Placeholder("x", DType::kF32, Shape{n, 8});
  Value t = b.Placeholder("t", DType::kF32, Shape{n, 1});
  auto dense = [&](Value in, int64_t fan_in, int64_t out, const std::string& name) {
    Value w = b.Parameter(name + "/weight", RandomF32({out, fan_in}, rng, 1.0 / std::sqrt(fan_in)));
    Value bias = b.Parameter(name + "/bias", Tensor::Zeros(DType::kF32, {out}));
    return b.Op1("linear", {in, w, bias}, {}, name);
  };
  Value h = b.Op1("relu", {dense(x, 8, 32, "fc1")}, {}, "relu1");
  if (dropout_p > 0) h = b.Op1("dropout", {h}, {{"p", dropout_p}, {"seed", int64_t{7}}}, "drop1");
  h = b.Op1("relu", {dense(h, 32, 32, "fc2")}, {}, "relu2");
  Value y = dense(h, 32, 1, "fc3");
  b.Output("loss", b.Op1("mse", {y, t}, {}, "mse"));
  return g;
}

// A fixed synthetic problem: t = sin(x . a) + 0.5 * x0 * x1.
NamedTensors Batch(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tensor x = RandomF32({n, 8}, rng, 1.0);
  Tensor t = Tensor::Empty(DType::kF32, {n, 1});
  for (int64_t i = 0; i < n; ++i) {
    const float* r = x.data<float>() + 8 * i;
    double dot = 0;
    for (int j = 0; j < 8; ++j) dot += r[j] * (0.25 * (j % 3) - 0.2);
    t.data<float>()[i] = static_cast<float>(std::sin(dot) + 0.5 * r[0] * r[1]);
  }
  return {{"x", x}, {"t", t}};
}

TrainerOptions Adam(double lr) {
  TrainerOptions o;
  o.training.optimizer = OptimizerSpec::Adam();
  o.lr = lr;
  o.session.threads = 2;
  return o;
}

float Loss(const NamedTensors& out) { return out.at("loss").data<float>()[0]; }

TEST(Trainer, MlpLossFallsTenfold) {
  Trainer trainer(Mlp(1, 0), Adam(1e-2));
  NamedTensors data = Batch(128, 2);
  const float first = Loss(trainer.Step(data));
  float last = first;
  for (int s = 0; s < 300; ++s) last = Loss(trainer.Step(data));
  EXPECT_LT(last, first / 10) << "first loss " << first << ", after 300 steps " << last;
  EXPECT_EQ(trainer.step(), 301);
  EXPECT_EQ(trainer.session().num_compiles(), 1);  // the learning rate is an input
}

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.dims() == b.dims() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

TEST(Trainer, SameSeedGivesBitwiseIdenticalParameters) {
  auto run = [](uint64_t init_seed, int threads) {
    TrainerOptions o = Adam(5e-3);
    o.session.threads = threads;
    Trainer t(Mlp(init_seed, 0.25), o);
    for (int s = 0; s < 20; ++s) t.Step(Batch(64, 100 + s));
    std::vector<Tensor> params;
    for (const std::string& p : t.parameters()) params.push_back(t.parameter(p).Clone());
    return params;
  };
  std::vector<Tensor> a = run(3, 2), b = run(3, 2), c = run(3, 1), d = run(4, 2);
  ASSERT_EQ(a.size(), 6u);
  bool all_same_d = true;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(SameBits(a[i], b[i])) << "parameter " << i << " differs between two runs";
    EXPECT_TRUE(SameBits(a[i], c[i])) << "parameter " << i << " differs between 2 and 1 threads";
    all_same_d = all_same_d && SameBits(a[i], d[i]);
  }
  EXPECT_FALSE(all_same_d) << "a different initialization seed should train differently";
}

TEST(Trainer, ProfileRunsRealStepsAndTimesBackwardAndUpdate) {
  // warmup 1 + runs 2 profiled steps train exactly as 3 Steps on the same batch.
  Trainer profiled(Mlp(5, 0.25), Adam(5e-3)), stepped(Mlp(5, 0.25), Adam(5e-3));
  const NamedTensors batch = Batch(32, 7);
  ProfileReport report = profiled.Profile(batch, 2, 1);
  for (int s = 0; s < 3; ++s) stepped.Step(batch);
  EXPECT_EQ(profiled.step(), 3);
  for (const std::string& p : profiled.parameters()) {
    EXPECT_TRUE(SameBits(profiled.parameter(p), stepped.parameter(p))) << p;
  }
  EXPECT_EQ(report.runs, 2);
  EXPECT_EQ(report.steps.size(), profiled.session().PlanFor(
                                     profiled.session().Ordered([&] {
                                       NamedTensors in = batch;
                                       in[kLearningRateInput] = Tensor::Scalar<float>(0.f);
                                       return in;
                                     }()))->steps().size());
  bool backward = false, update = false;
  for (const StepProfile& s : report.steps) {
    backward = backward || s.op.find("_grad") != std::string::npos;
    update = update || s.op.find("adam") != std::string::npos;
  }
  EXPECT_TRUE(backward && update) << report.ToString();
}

TEST(Trainer, DropoutCounterAdvancesEveryStep) {
  Trainer t(Mlp(1, 0.5), Adam(1e-3));
  ASSERT_FALSE(t.training_graph().rng_state.empty());
  for (int s = 0; s < 3; ++s) t.Step(Batch(16, 5));
  EXPECT_EQ(t.parameter(t.training_graph().rng_state).data<int64_t>()[0], 3);
}

// loss = sum(w * x) has gradient x, so plain SGD moves w by exactly -lr * x each step.
Graph Linear() {
  Graph g("lin");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{3});
  Value w = b.Parameter("w", Tensor::FromVector<float>({3}, {1, 2, 3}));
  b.Output("loss", b.Op1("reduce_sum", {b.Op1("mul", {w, x})}));
  return g;
}

TEST(Trainer, ScheduleFeedsTheLearningRateWithoutRecompiling) {
  TrainerOptions o;
  o.training.optimizer = OptimizerSpec::SGD();
  o.schedule = StepLr(0.5, 2, 0.1);  // 0.5, 0.5, 0.05, 0.05, 0.005
  Trainer t(Linear(), o);
  NamedTensors batch{{"x", Tensor::FromVector<float>({3}, {1, -2, 4})}};
  float w0 = 1;
  const double lrs[] = {0.5, 0.5, 0.05, 0.05, 0.005};
  for (double lr : lrs) {
    EXPECT_NEAR(t.learning_rate(), lr, 1e-12);
    t.Step(batch);
    w0 = w0 - static_cast<float>(lr) * 1.0f;
    EXPECT_FLOAT_EQ(t.parameter("w").data<float>()[0], w0);
  }
  EXPECT_EQ(t.session().num_compiles(), 1);
  // Without a schedule or lr, the optimizer's PyTorch default rate.
  TrainerOptions rms;
  rms.training.optimizer = OptimizerSpec::RMSprop();
  EXPECT_EQ(Trainer(Linear(), rms).learning_rate(), 1e-2);
  EXPECT_EQ(Trainer(Linear(), {}).learning_rate(), 1e-3);
}

TEST(Trainer, ClipNormScalesTheGradient) {
  TrainerOptions o;
  o.training.optimizer = OptimizerSpec::SGD();
  o.training.clip_norm = 1.0;
  o.lr = 1.0;
  Trainer t(Linear(), o);
  t.Step({{"x", Tensor::FromVector<float>({3}, {3, 0, 4})}});  // |g| = 5 -> g * (1 / (5 + 1e-6))
  EXPECT_NEAR(t.parameter("w").data<float>()[0], 1 - 3 / 5.0, 1e-6);
  EXPECT_NEAR(t.parameter("w").data<float>()[2], 3 - 4 / 5.0, 1e-6);
  TrainerOptions v = o;
  v.training.clip_norm = 0;
  v.training.clip_value = 0.5;
  Trainer tv(Linear(), v);
  tv.Step({{"x", Tensor::FromVector<float>({3}, {3, -0.25f, -4})}});
  EXPECT_FLOAT_EQ(tv.parameter("w").data<float>()[0], 0.5f);
  EXPECT_FLOAT_EQ(tv.parameter("w").data<float>()[1], 2.25f);
  EXPECT_FLOAT_EQ(tv.parameter("w").data<float>()[2], 3.5f);
}

TEST(Trainer, MemoryReportNamesTheKeptForwardValues) {
  Trainer t(Mlp(1, 0), Adam(1e-3));
  NamedTensors batch = Batch(64, 9);
  MemoryReport m = t.Memory(batch);
  auto kept = [&](const std::string& name) {
    return std::find(m.saved.begin(), m.saved.end(), name) != m.saved.end();
  };
  // The relu outputs feed the next layer's weight gradient and relu's own gradient; the
  // pre-activations (fc1, fc2) are not needed once relu's gradient reads its output.
  EXPECT_TRUE(kept("relu1")) << m.ToString();
  EXPECT_TRUE(kept("relu2")) << m.ToString();
  EXPECT_FALSE(kept("fc1")) << m.ToString();
  EXPECT_FALSE(kept("fc2")) << m.ToString();
  const size_t hidden = 64 * 32 * sizeof(float);
  EXPECT_GE(m.saved_bytes, 2 * hidden);
  EXPECT_GE(m.peak_bytes, m.saved_bytes);
  EXPECT_EQ(m.parameter_bytes, (8 * 32 + 32 + 32 * 32 + 32 + 32 + 1) * sizeof(float));
  EXPECT_EQ(m.state_bytes, 2 * m.parameter_bytes + 6 * sizeof(int64_t)) << "Adam: two moments and a step per parameter";
  // Twice the batch: the step's intermediates double, parameters and state do not.
  NamedTensors big = Batch(128, 9);
  MemoryReport m2 = t.Memory(big);
  EXPECT_GT(m2.peak_bytes, m.peak_bytes + m.peak_bytes / 2);
  EXPECT_EQ(m2.state_bytes, m.state_bytes);
}

TEST(Trainer, ExplainShowsTheStepsFusionAndPlanWithoutRunningIt) {
  TrainerOptions o = Adam(0.05);
  o.training.optimizer = OptimizerSpec::SGD(0.9);
  Trainer t(Mlp(1, 0), o);
  const NamedTensors batch = Batch(64, 9);
  const Tensor before = t.parameter("fc2/weight").Clone();
  const std::string text = t.Explain(batch);
  // The weight updates run inside their gradient's GEMM; the biases' gradients are reductions.
  EXPECT_NE(text.find("into one matmul_sgd_update node fc2/weight/"), std::string::npos) << text;
  EXPECT_NE(text.find("fc2/bias/sgd_update: update not fused with its gradient"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("memory: "), std::string::npos) << text;
  EXPECT_EQ(t.step(), 0);
  EXPECT_EQ(std::memcmp(before.raw_data(), t.parameter("fc2/weight").raw_data(), before.nbytes()),
            0);
  EXPECT_THROW(t.Explain({{"x", batch.at("x")}}), Error) << "the target t is missing";
}

TEST(Trainer, BatchNormRunningStatisticsAreWrittenBack) {
  Graph g("bn");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{Dim::Symbol("N"), 2});
  std::vector<Value> bn = b.Op("batch_norm",
                               {x, b.Parameter("w", Tensor::FromVector<float>({2}, {1, 1})),
                                b.Parameter("b", Tensor::FromVector<float>({2}, {0, 0})),
                                b.State("rm", Tensor::FromVector<float>({2}, {0, 0})),
                                b.State("rv", Tensor::FromVector<float>({2}, {1, 1}))},
                               {{"momentum", 0.1}});
  b.Output("loss", b.Op1("reduce_sum", {b.Op1("mul", {bn[0], bn[0]})}));
  Trainer t(g, {});
  // Column 0: 1, 2, 3, 6 (mean 3, unbiased var 14/3); column 1: all 5 (mean 5, var 0).
  t.Step({{"x", Tensor::FromVector<float>({4, 2}, {1, 5, 2, 5, 3, 5, 6, 5})}});
  EXPECT_FLOAT_EQ(t.parameter("rm").data<float>()[0], 0.1f * 3);
  EXPECT_FLOAT_EQ(t.parameter("rm").data<float>()[1], 0.1f * 5);
  EXPECT_FLOAT_EQ(t.parameter("rv").data<float>()[0], 0.9f + 0.1f * 14 / 3);
  EXPECT_FLOAT_EQ(t.parameter("rv").data<float>()[1], 0.9f);
}

TEST(Trainer, EachUpdateRunsAsSoonAsItsGradientExists) {
  Trainer t(Mlp(1, 0), Adam(1e-3));
  NamedTensors batch = Batch(8, 1);
  batch["lr"] = Tensor::Scalar<float>(0.1f);
  std::vector<Tensor> in;
  for (const TensorSpec& spec : t.session().input_specs()) in.push_back(batch.at(spec.name));
  std::shared_ptr<const Plan> plan = t.session().PlanFor(in);
  auto index = [&](const std::string& node) {
    for (size_t i = 0; i < plan->steps().size(); ++i) {
      if (plan->graph().node(plan->steps()[i].node).name == node) return static_cast<int>(i);
    }
    return -1;
  };
  const int update2 = index("fc2/weight/adam_update");
  const int update1 = index("fc1/weight/adam_update");
  ASSERT_GE(update2, 0);
  ASSERT_GE(update1, 0);
  // fc1's weight gradient is computed after fc2's update, so the two gradients never coexist.
  const PlanStep& u1 = plan->steps()[static_cast<size_t>(update1)];
  int grad1 = -1;
  for (size_t i = 0; i < plan->steps().size(); ++i) {
    for (int slot : plan->steps()[i].outputs) {
      if (slot == u1.inputs[1]) grad1 = static_cast<int>(i);
    }
  }
  EXPECT_LT(update2, grad1);
  EXPECT_EQ(update1, grad1 + 1);
}

TEST(Trainer, GraphLoadedFromTextTrains) {
  Graph g = ParseGraph(PrintGraph(Mlp(1, 0)));
  Trainer t(std::move(g), Adam(1e-2));
  NamedTensors data = Batch(64, 2);
  const float first = Loss(t.Step(data));
  float last = first;
  for (int s = 0; s < 100; ++s) last = Loss(t.Step(data));
  EXPECT_LT(last, first);
}

TEST(Trainer, ErrorsNameWhatIsWrong) {
  Graph no_loss("m");
  GraphBuilder b(no_loss);
  Value x = b.Placeholder("x", DType::kF32, Shape{2});
  b.Output("y", x);
  ExpectError<InvalidArgumentError>([&] { Trainer(no_loss, {}); }, {"no output named 'loss'"});
  Trainer t(Linear(), {});
  ExpectError<NotFoundError>([&] { t.Step({}); }, {"missing input 'x'"});
  ExpectError<InvalidArgumentError>(
      [&] { t.Step({{"x", Tensor::Zeros(DType::kF32, {3})}, {"lr", Tensor::Scalar<float>(1)}}); },
      {"feeds the input 'lr' itself"});
  ExpectError<ShapeError>([&] { t.Step({{"x", Tensor::Zeros(DType::kF32, {4})}}); }, {"input 'x'", "(3,)"});
}

}  // namespace
}  // namespace bronze::testing
