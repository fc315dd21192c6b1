// Eight threads calling Session::Run on one Session: a wider MLP and a small CNN (conv2d, relu,
// max_pool2d, flatten, matmul, softmax), each thread with its own inputs and batch sizes, a few
// hundred runs per model, with 1 and 2 kernel threads. Every result must be bitwise identical
// to a single-threaded run of the same input on a separate Session with the same options.
// (session_concurrency_test.cc covers plan caching under concurrency on a tiny MLP.)
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "graph/builder.h"
#include "runtime/session.h"

namespace bronze {
namespace {

// Deterministic values in [-1, 1) from a seed (no shared RNG state between threads).
Tensor Filled(Dims dims, uint64_t seed) {
  Tensor t = Tensor::Zeros(DType::kF32, dims);
  float* p = t.data<float>();
  uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    p[i] = static_cast<float>(static_cast<double>(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  }
  return t;
}

// x (N, 32) -> 64 -> relu -> 64 -> tanh -> 10 logits; outputs logits and their softmax.
Graph WideMlp() {
  Graph g("wide_mlp");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 32});
  Value h =
      b.Op1("relu", {b.Op1("add", {b.Op1("matmul", {x, b.Parameter("w1", Filled({32, 64}, 1))}),
                                   b.Parameter("b1", Filled({64}, 2))})});
  h = b.Op1("tanh", {b.Op1("add", {b.Op1("matmul", {h, b.Parameter("w2", Filled({64, 64}, 3))}),
                                   b.Parameter("b2", Filled({64}, 4))})});
  Value logits = b.Op1("matmul", {h, b.Parameter("w3", Filled({64, 10}, 5))}, {}, "logits");
  b.Output("logits", logits);
  b.Output("probs", b.Op1("softmax", {logits}, {{"axis", int64_t{-1}}}, "probs"));
  return g;
}

// x (N, 3, 12, 12) -> conv 3x3 (8 ch, pad 1) + bias -> relu -> max_pool 2 -> conv 3x3 (8 ch)
// -> relu -> flatten -> matmul (8*4*4 -> 5) -> softmax.
Graph SmallCnn() {
  Graph g("cnn");
  GraphBuilder b(g);
  using V = std::vector<int64_t>;
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3, 12, 12});
  Value c1 = b.Op1("conv2d", {x, b.Parameter("k1", Filled({8, 3, 3, 3}, 11)),
                              b.Parameter("kb1", Filled({8}, 12))},
                   {{"padding", V{1, 1}}});
  Value p1 = b.Op1("max_pool2d", {b.Op1("relu", {c1})}, {{"kernel_size", V{2, 2}}});
  Value c2 = b.Op1("conv2d", {p1, b.Parameter("k2", Filled({8, 8, 3, 3}, 13))});
  Value f = b.Op1("flatten", {b.Op1("relu", {c2})}, {{"start_dim", int64_t{1}}});
  Value logits = b.Op1("matmul", {f, b.Parameter("wf", Filled({8 * 4 * 4, 5}, 14))}, {}, "logits");
  b.Output("probs", b.Op1("softmax", {logits}, {{"axis", int64_t{-1}}}, "probs"));
  b.Output("features", f);
  return g;
}

struct ThreadCase {
  const char* name;
  std::function<Graph()> graph;
  std::function<Dims(int64_t batch)> input_dims;
  int runs_per_thread;
};

void ExpectConcurrentRunsMatchSerial(const ThreadCase& c, int kernel_threads) {
  constexpr int kCallers = 8, kInputsPerCaller = 4;
  SessionOptions options;
  options.threads = kernel_threads;
  // Each caller's inputs: its own seeds and batch sizes (1..4), computed serially first.
  std::vector<std::vector<Tensor>> inputs(kCallers);
  std::vector<std::vector<std::vector<Tensor>>> expected(kCallers);
  {
    Session serial(c.graph(), options);
    for (int t = 0; t < kCallers; ++t) {
      for (int k = 0; k < kInputsPerCaller; ++k) {
        const int64_t batch = 1 + (t + k) % 4;
        inputs[t].push_back(Filled(c.input_dims(batch), 1000 + 10 * t + k));
        expected[t].push_back(serial.Run({inputs[t].back()}));
      }
    }
  }
  Session shared(c.graph(), options);
  std::atomic<int> mismatches{0}, errors{0}, runs{0};
  std::latch start(kCallers);
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < c.runs_per_thread; ++i) {
        const int k = (i * 3 + t) % kInputsPerCaller;
        try {
          std::vector<Tensor> out = shared.Run({inputs[t][k]});
          const std::vector<Tensor>& want = expected[t][k];
          bool same = out.size() == want.size();
          for (size_t o = 0; same && o < out.size(); ++o) same = BitwiseEqual(out[o], want[o]);
          if (!same) ++mismatches;
        } catch (const std::exception& e) {
          if (errors++ == 0) ADD_FAILURE() << c.name << ": " << e.what();
        }
        ++runs;
      }
    });
  }
  for (std::thread& th : callers) th.join();
  EXPECT_EQ(runs.load(), kCallers * c.runs_per_thread) << c.name;
  EXPECT_EQ(errors.load(), 0) << c.name;
  EXPECT_EQ(mismatches.load(), 0) << c.name << " with " << kernel_threads << " kernel threads";
  EXPECT_EQ(shared.num_compiles(), 4) << c.name << ": one plan per batch size";
}

const ThreadCase kMlp = {"wide_mlp", WideMlp, [](int64_t n) { return Dims{n, 32}; }, 40};
const ThreadCase kCnn = {"cnn", SmallCnn, [](int64_t n) { return Dims{n, 3, 12, 12}; }, 30};

TEST(SessionThreads, EightCallersMlpMatchSerialBitwise) {
  ExpectConcurrentRunsMatchSerial(kMlp, 1);
  ExpectConcurrentRunsMatchSerial(kMlp, 2);
}

TEST(SessionThreads, EightCallersCnnMatchSerialBitwise) {
  ExpectConcurrentRunsMatchSerial(kCnn, 1);
  ExpectConcurrentRunsMatchSerial(kCnn, 2);
}

}  // namespace
}  // namespace bronze
