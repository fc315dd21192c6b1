// Checkpoints: a Trainer's parameters, optimizer state and step counter saved at step k and
// restored into a fresh Trainer continue bitwise-identically to an uninterrupted run (the oracle:
// the uninterrupted run itself); and killing a process in the middle of checkpoint saves (SIGKILL
// at 50 pseudo-random moments, fixed seed) always leaves a loadable checkpoint, the old or the
// new one, whose tensors are consistent with its step.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "tests/test_util.h"

namespace bronze::testing {
namespace {

// x (N, 6) -> linear 16 -> relu -> dropout -> linear 1; loss = mse. Dropout makes the step
// counter state matter; Adam makes the moments matter.
Graph Model1() {
  std::mt19937_64 rng(5);
  Graph g("ckpt_mlp");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{Dim::Symbol("N"), 6});
  Value t = b.Placeholder("t", DType::kF32, Shape{Dim::Symbol("N"), 1});
  Value h = b.Op1("linear", {x, b.Parameter("w1", RandomF32({16, 6}, rng, 0.4)),
                             b.Parameter("b1", Tensor::Zeros(DType::kF32, {16}))});
  h = b.Op1("dropout", {b.Op1("relu", {h})}, {{"p", 0.25}, {"seed", int64_t{3}}});
  Value y = b.Op1("linear", {h, b.Parameter("w2", RandomF32({1, 16}, rng, 0.25)),
                             b.Parameter("b2", Tensor::Zeros(DType::kF32, {1}))});
  b.Output("loss", b.Op1("mse", {y, t}));
  return g;
}

NamedTensors Batch(int step) {
  std::mt19937_64 rng(100 + static_cast<uint64_t>(step));
  Tensor x = RandomF32({8, 6}, rng, 1.0);
  Tensor t = Tensor::Empty(DType::kF32, {8, 1});
  for (int64_t i = 0; i < 8; ++i) t.data<float>()[i] = std::tanh(x.data<float>()[6 * i]);
  return {{"x", x}, {"t", t}};
}

TrainerOptions Options() {
  TrainerOptions o;
  o.training.optimizer = OptimizerSpec::Adam();
  o.lr = 1e-2;
  o.session.threads = 2;
  return o;
}

TEST(Checkpoint, ResumedTrainingIsBitwiseIdentical) {
  constexpr int kSteps = 12, kAt = 5;
  Trainer full(Model1(), Options());
  for (int s = 0; s < kSteps; ++s) full.Step(Batch(s));

  ScratchDir scratch;
  std::string path = scratch / "ckpt.bronze";
  {
    Trainer first(Model1(), Options());
    for (int s = 0; s < kAt; ++s) first.Step(Batch(s));
    Checkpoint c;
    c.tensors = first.State();
    c.step = first.step();
    EXPECT_GT(c.tensors.size(), 4u);  // parameters plus optimizer moments and counters
    SaveCheckpoint(path, c);
  }
  Checkpoint c = LoadCheckpoint(path);
  Trainer resumed(Model1(), Options());
  NamedTensors state(c.tensors.begin(), c.tensors.end());
  resumed.Restore(state, c.step);
  EXPECT_EQ(resumed.step(), kAt);
  for (int s = kAt; s < kSteps; ++s) resumed.Step(Batch(s));

  NamedTensors want = full.State(), got = resumed.State();
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, t] : want) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_TRUE(BitwiseEqual(got.at(name), t)) << name;
  }
  // The interruption mattered: a fresh trainer run for the remaining steps only differs.
  Trainer fresh(Model1(), Options());
  for (int s = kAt; s < kSteps; ++s) fresh.Step(Batch(s));
  EXPECT_FALSE(BitwiseEqual(fresh.parameter("w1"), full.parameter("w1")));
}

// A checkpoint whose every tensor is filled with `step`, so a torn mix would show.
Checkpoint Numbered(int64_t step) {
  Checkpoint c;
  c.step = step;
  for (int k = 0; k < 4; ++k) {
    Tensor t = Tensor::Empty(DType::kF32, {64 * 1024});  // 256 KiB each
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(step);
    c.tensors["t" + std::to_string(k)] = t;
  }
  return c;
}

TEST(Checkpoint, KillDuringSaveAlwaysLeavesALoadableCheckpoint) {
  ScratchDir scratch;
  std::string dir = scratch.str();
  std::string path = dir + "/ckpt.bronze";
  SaveCheckpoint(path, Numbered(0));
  std::mt19937_64 rng(1234);
  std::uniform_int_distribution<int> delay_us(0, 30000);
  int64_t last_seen = 0;
  for (int round = 0; round < 50; ++round) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Save ever newer checkpoints until killed.
      for (int64_t step = last_seen + 1;; ++step) SaveCheckpoint(path, Numbered(step));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    Checkpoint c;
    ASSERT_NO_THROW(c = LoadCheckpoint(path)) << "round " << round;
    EXPECT_GE(c.step, last_seen);
    ASSERT_EQ(c.tensors.size(), 4u);
    for (const auto& [name, t] : c.tensors) {
      const float* p = t.data<float>();
      EXPECT_EQ(p[0], static_cast<float>(c.step)) << name;
      EXPECT_EQ(p[t.numel() - 1], static_cast<float>(c.step)) << name;
    }
    last_seen = c.step;
  }
  // The killed saves may leave temporary files; the target is never one of them.
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename();
    EXPECT_TRUE(name == "ckpt.bronze" || name.find("ckpt.bronze.tmp.") == 0) << name;
  }
}

}  // namespace
}  // namespace bronze::testing
