// Whole-model inference benchmarks W2-W4 of issue 7, bronze's side: each model built with
// GraphBuilder and run by a Session on 2 threads (compiled and warmed up before the timing).
//   mlp_b1, mlp_b256   MLP 784-1024-1024-10 (linear + relu), batch 1 and 256
//   cnn_b1, cnn_b32    conv 3->32 3x3 pad 1, relu, conv 32->64 3x3 stride 2 pad 1, relu, flatten,
//                      linear 16384->10, on 32x32 inputs, batch 1 and 32
//   transformer_b1     torch.nn.TransformerEncoderLayer(256, 4, 1024, dropout=0, batch_first=True)
//                      defaults (post-norm, relu, eps 1e-5), sequence 128, batch 1
// Weights and inputs come from BRONZE_BENCH_DATA/<model>/<name>.npy when that variable is set
// (benchmarks/suite.py writes them with NumPy from a seed and gives the peers, ONNX Runtime and
// PyTorch, the very same arrays); otherwise from a fixed-seed uniform draw, so the binary also runs
// alone. --bronze_check_out=DIR runs every case once, writes its output to DIR/<case>.npy and
// exits without timing: the suite compares those with the peers' outputs before timing anything.
// The peers are timed by benchmarks/suite.py, interleaved with runs of this binary.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>

#include "benchmarks/bench_util.h"
#include "graph/npy.h"

namespace bronze::bench {
namespace {

constexpr int kThreads = 2;
using Ints = std::vector<int64_t>;

// The named arrays of one model: read from BRONZE_BENCH_DATA/<model>/ or drawn at random.
class Arrays {
 public:
  explicit Arrays(std::string model)
      : model_(std::move(model)), rng_(std::hash<std::string>{}(model_)) {
    if (const char* dir = std::getenv("BRONZE_BENCH_DATA")) dir_ = std::string(dir) + "/" + model_;
  }

  // `name` with the given dims; drawn uniformly from (-bound, bound) without a data directory.
  Tensor Get(const std::string& name, const Dims& dims, float bound) {
    if (!dir_.empty()) {
      Tensor t = ReadNpy(dir_ + "/" + name + ".npy");
      if (t.dtype() != DType::kF32 || t.dims() != dims) {
        throw InvalidArgumentError(dir_ + "/" + name + ".npy: expected f32 " + DimsToString(dims) +
                                   ", got " + DimsToString(t.dims()));
      }
      return t;
    }
    Tensor t = Tensor::Empty(DType::kF32, dims);
    std::uniform_real_distribution<float> u(-bound, bound);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng_);
    return t;
  }

  // A torch.nn.Linear-like layer's parameters (weight (out, in), bias (out)) as graph parameters.
  Value Linear(GraphBuilder& b, Value x, const std::string& name, int64_t in, int64_t out) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(in));
    Value w = b.Parameter(name + ".weight", Get(name + ".weight", {out, in}, bound));
    Value bias = b.Parameter(name + ".bias", Get(name + ".bias", {out}, bound));
    return b.Op1("linear", {x, w, bias}, {}, name);
  }

 private:
  std::string model_;
  std::string dir_;
  std::mt19937_64 rng_;
};

Graph Mlp(Arrays& a) {
  Graph g("mlp_784_1024_1024_10");
  GraphBuilder b(g);
  Value h = b.Placeholder("x", DType::kF32, Shape{Dim::Symbol("N"), 784});
  h = b.Op1("relu", {a.Linear(b, h, "fc1", 784, 1024)});
  h = b.Op1("relu", {a.Linear(b, h, "fc2", 1024, 1024)});
  b.Output("y", a.Linear(b, h, "fc3", 1024, 10));
  return g;
}

Value Conv(Arrays& a, GraphBuilder& b, Value x, const std::string& name, int64_t in, int64_t out,
           int64_t stride) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(in * 9));
  Value w = b.Parameter(name + ".weight", a.Get(name + ".weight", {out, in, 3, 3}, bound));
  Value bias = b.Parameter(name + ".bias", a.Get(name + ".bias", {out}, bound));
  return b.Op1("conv2d", {x, w, bias}, {{"stride", Ints{stride, stride}}, {"padding", Ints{1, 1}}},
               name);
}

Graph Cnn(Arrays& a) {
  Graph g("cnn_32x32");
  GraphBuilder b(g);
  Value h = b.Placeholder("x", DType::kF32, Shape{Dim::Symbol("N"), 3, 32, 32});
  h = b.Op1("relu", {Conv(a, b, h, "conv1", 3, 32, 1)});
  h = b.Op1("relu", {Conv(a, b, h, "conv2", 32, 64, 2)});
  h = b.Op1("flatten", {h}, {{"start_dim", 1}});
  b.Output("y", a.Linear(b, h, "fc", 64 * 16 * 16, 10));
  return g;
}

constexpr int64_t kSeq = 128, kModel = 256, kHeads = 4, kFfn = 1024;

// torch.nn.TransformerEncoderLayer's forward in eval mode (norm_first=False, relu, no dropout).
Graph Transformer(Arrays& a) {
  Graph g("transformer_encoder_layer");
  GraphBuilder b(g);
  const int64_t head = kModel / kHeads;
  Value x = b.Placeholder("x", DType::kF32, Shape{1, kSeq, kModel});
  // Self-attention with torch's packed in_proj (rows: q, k, v).
  Value qkv = a.Linear(b, x, "self_attn.in_proj", kModel, 3 * kModel);
  std::vector<Value> parts =
      b.Op("split", {qkv}, {{"axis", -1}, {"sizes", Ints{kModel, kModel, kModel}}});
  for (Value& p : parts) {
    p = b.Op1("reshape", {p}, {{"shape", Shape{1, kSeq, kHeads, head}}});
    p = b.Op1("transpose", {p}, {{"perm", Ints{0, 2, 1, 3}}});
  }
  Value attn = b.Op1("scaled_dot_product_attention", {parts[0], parts[1], parts[2]});
  attn = b.Op1("transpose", {attn}, {{"perm", Ints{0, 2, 1, 3}}});
  attn = b.Op1("reshape", {attn}, {{"shape", Shape{1, kSeq, kModel}}});
  attn = a.Linear(b, attn, "self_attn.out_proj", kModel, kModel);
  auto norm = [&](Value v, const std::string& name) {
    Value w = b.Parameter(name + ".weight", a.Get(name + ".weight", {kModel}, 1.0f));
    Value bias = b.Parameter(name + ".bias", a.Get(name + ".bias", {kModel}, 1.0f));
    return b.Op1("layer_norm", {v, w, bias}, {{"eps", 1e-5}}, name);
  };
  Value h = norm(b.Op1("add", {x, attn}), "norm1");
  Value f = b.Op1("relu", {a.Linear(b, h, "linear1", kModel, kFfn)});
  f = a.Linear(b, f, "linear2", kFfn, kModel);
  b.Output("y", norm(b.Op1("add", {h, f}), "norm2"));
  return g;
}

struct Case {
  std::string name;   // benchmark BM_<name>, check output <name>.npy, input x_<batch>
  std::string model;  // data directory
  std::function<Graph(Arrays&)> build;
  Dims input;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"mlp_b1", "mlp", Mlp, {1, 784}},
      {"mlp_b256", "mlp", Mlp, {256, 784}},
      {"cnn_b1", "cnn", Cnn, {1, 3, 32, 32}},
      {"cnn_b32", "cnn", Cnn, {32, 3, 32, 32}},
      {"transformer_b1", "transformer", Transformer, {1, kSeq, kModel}},
  };
  return cases;
}

struct Prepared {
  std::unique_ptr<Session> session;
  std::vector<Tensor> inputs;
};

Prepared Prepare(const Case& c) {
  Arrays a(c.model);
  SessionOptions o;
  o.threads = kThreads;
  Prepared p;
  p.session = std::make_unique<Session>(c.build(a), o);
  p.inputs = {a.Get("x_b" + std::to_string(c.input[0]), c.input, 1.0f)};
  return p;
}

void BM_Model(benchmark::State& state, const Case* c) {
  Prepared p = Prepare(*c);
  for (int i = 0; i < 3; ++i) p.session->Run(p.inputs);  // compile the plan, fault the pages
  for (auto _ : state) {
    std::vector<Tensor> out = p.session->Run(p.inputs);
    benchmark::DoNotOptimize(out[0].data<float>());
  }
  state.SetItemsProcessed(state.iterations() * c->input[0]);
}

int Check(const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (const Case& c : Cases()) {
    Prepared p = Prepare(c);
    WriteNpy(dir + "/" + c.name + ".npy", p.session->Run(p.inputs).at(0));
    std::printf("%s: wrote %s/%s.npy\n", c.name.c_str(), dir.c_str(), c.name.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace bronze::bench

int main(int argc, char** argv) {
  using namespace bronze::bench;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--bronze_check_out=", 19) == 0) return Check(argv[i] + 19);
  }
  for (const Case& c : Cases()) {
    benchmark::RegisterBenchmark(("BM_" + c.name).c_str(), BM_Model, &c)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
  // The peers run in benchmarks/suite.py (`make bench`), so this binary has no comparisons.
  return Main(argc, argv, {});
}
