// One training step of an MLP 784-1024-1024-10 (linear + relu, cross-entropy mean, SGD lr 0.01)
// at batch 256 on 2 threads: bronze's compiled step (runtime/trainer.h) against the same step in
// PyTorch eager, run by benchmarks/peers/torch_mlp_step.py in its own interpreter (Debian's
// python3-torch; BRONZE_TORCH_PYTHON overrides /usr/bin/python3) in the same job. Before the
// timing it measures the memory each side's training adds to its process (peak RSS minus the RSS
// before the model is built) and prints both with bronze's own accounting (MemoryReport); both
// figures also go to --bronze_json_out (peak_added_bytes/bronze, peak_added_bytes/torch).
// With BRONZE_BENCH_DATA set, both sides take the weights and the batch from
// $BRONZE_BENCH_DATA/mlp_step/*.npy (benchmarks/suite.py writes them); --bronze_check_out=DIR
// runs 3 steps, writes their losses and the parameters after them to DIR (.npy) and exits, for
// the suite to compare with the PyTorch peer's (torch_mlp_step.py --check-out) before timing.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "benchmarks/bench_util.h"
#include "graph/npy.h"
#include <unistd.h>

namespace bronze::bench {
namespace {

constexpr int64_t kBatch = 256;
constexpr int kThreads = 2;
constexpr int kWarmup = 10;
constexpr int kSteps = 20;

// $BRONZE_BENCH_DATA/mlp_step/<name>.npy, or an undefined tensor without BRONZE_BENCH_DATA.
Tensor FromData(const std::string& name, DType dtype, const Dims& dims) {
  const char* dir = std::getenv("BRONZE_BENCH_DATA");
  if (!dir) return Tensor();
  std::string path = std::string(dir) + "/mlp_step/" + name + ".npy";
  Tensor t = ReadNpy(path);
  if (t.dtype() != dtype || t.dims() != dims) {
    throw InvalidArgumentError(path + ": expected " + std::string(DTypeName(dtype)) + " " +
                               DimsToString(dims) + ", got " + DimsToString(t.dims()));
  }
  return t;
}

Tensor Random(const std::string& name, Dims dims, std::mt19937_64& rng, float scale) {
  if (Tensor t = FromData(name, DType::kF32, dims); t.defined()) return t;
  Tensor t = Tensor::Empty(DType::kF32, dims);
  std::uniform_real_distribution<float> u(-scale, scale);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

Graph Mlp() {
  std::mt19937_64 rng(0);
  Graph g("mlp_784_1024_1024_10");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{Dim::Symbol("N"), 784});
  Value y = b.Placeholder("y", DType::kI64, Shape{Dim::Symbol("N")});
  Value h = x;
  const int64_t sizes[] = {784, 1024, 1024, 10};
  for (int l = 0; l < 3; ++l) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(sizes[l]));  // torch.nn.Linear's init
    std::string name = "fc" + std::to_string(l + 1);
    Value w = b.Parameter(name + "/weight",
                          Random(name + ".weight", {sizes[l + 1], sizes[l]}, rng, bound));
    Value bias = b.Parameter(name + "/bias", Random(name + ".bias", {sizes[l + 1]}, rng, bound));
    h = b.Op1("linear", {h, w, bias}, {}, name);
    if (l < 2) h = b.Op1("relu", {h}, {}, "relu" + std::to_string(l + 1));
  }
  b.Output("loss", b.Op1("cross_entropy", {h, y}));
  return g;
}

NamedTensors Batch() {
  std::mt19937_64 rng(1);
  Tensor x = Random("x", {kBatch, 784}, rng, 1.0f);
  Tensor y = FromData("y", DType::kI64, {kBatch});
  if (!y.defined()) {
    y = Tensor::Empty(DType::kI64, {kBatch});
    for (int64_t i = 0; i < kBatch; ++i) y.data<int64_t>()[i] = static_cast<int64_t>(rng() % 10);
  }
  return {{"x", x}, {"y", y}};
}

std::unique_ptr<Trainer> MakeTrainer() {
  TrainerOptions o;
  o.training.optimizer = OptimizerSpec::SGD();
  o.lr = 0.01;
  o.session.threads = kThreads;
  return std::make_unique<Trainer>(Mlp(), o);
}

size_t RssBytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// This process's peak RSS: VmHWM of /proc/self/status. Not getrusage's ru_maxrss: Linux carries
// that across execve, so a process started by a larger one (benchmarks/suite.py, with ONNX Runtime
// loaded) reads its parent's peak.
size_t MaxRssBytes() {
  size_t kib = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      if (std::sscanf(line, "VmHWM: %zu kB", &kib) == 1) break;
    }
    std::fclose(f);
  }
  return kib * 1024;
}

// The peer's output: {"torch": ..., "seconds": [...], "peak_added_bytes": N}.
struct PeerRun {
  std::vector<double> seconds;
  double peak_added_bytes = 0;
  std::string error;
};

PeerRun RunPeer(int steps) {
  PeerRun r;
  const char* py = std::getenv("BRONZE_TORCH_PYTHON");
  // The peer gets its default OpenMP wait policy (spinning), its fastest setup.
  std::string cmd = "env -u OMP_WAIT_POLICY " + std::string(py ? py : "/usr/bin/python3") + " " BRONZE_SOURCE_DIR
                    "/benchmarks/peers/torch_mlp_step.py --threads " + std::to_string(kThreads) +
                    " --batch " + std::to_string(kBatch) + " --warmup " + std::to_string(kWarmup) +
                    " --steps " + std::to_string(steps) + " 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) != 0) r.error = "the PyTorch peer failed (is python3-torch installed?): " + out;
  }
  size_t s = out.find("\"seconds\": [");
  size_t m = out.find("\"peak_added_bytes\": ");
  if (r.error.empty() && (s == std::string::npos || m == std::string::npos)) r.error = "unreadable peer output: " + out;
  if (!r.error.empty()) return r;
  const char* c = out.c_str() + s + 12;
  while (*c && *c != ']') {
    char* end = nullptr;
    r.seconds.push_back(std::strtod(c, &end));
    c = end;
    while (*c == ',' || *c == ' ') ++c;
  }
  r.peak_added_bytes = std::strtod(out.c_str() + m + 20, nullptr);
  return r;
}

void BM_BronzeMlpStep(benchmark::State& state) {
  auto trainer = MakeTrainer();
  NamedTensors batch = Batch();
  for (int i = 0; i < kWarmup; ++i) trainer->Step(batch);
  for (auto _ : state) trainer->Step(batch);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_BronzeMlpStep)->Iterations(kSteps)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_TorchMlpStep(benchmark::State& state) {
  PeerRun peer = RunPeer(kSteps);
  if (!peer.error.empty()) {
    state.SkipWithError(peer.error.c_str());
    for (auto _ : state) {}
    return;
  }
  size_t i = 0;
  for (auto _ : state) state.SetIterationTime(peer.seconds[i++ % peer.seconds.size()]);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_TorchMlpStep)->Iterations(kSteps)->UseManualTime()->Unit(benchmark::kMillisecond);

// Memory, once, before any timing (peak RSS only grows).
void ReportMemory() {
  const size_t before = RssBytes();
  auto trainer = MakeTrainer();
  NamedTensors batch = Batch();
  for (int i = 0; i < kWarmup; ++i) trainer->Step(batch);
  const double ours = static_cast<double>(MaxRssBytes() - before);
  MemoryReport m = trainer->Memory(batch);
  trainer.reset();
  PeerRun peer = RunPeer(2);
  std::printf("MLP 784-1024-1024-10 SGD step, batch %lld, %d threads\n", static_cast<long long>(kBatch), kThreads);
  std::printf("  bronze plan: %s\n", m.ToString().c_str());
  std::printf("  peak memory added by training: bronze %.1f MiB", ours / (1 << 20));
  RecordFigure("peak_added_bytes/bronze", ours, "bytes");
  if (peer.error.empty()) {
    RecordFigure("peak_added_bytes/torch", peer.peak_added_bytes, "bytes");
    std::printf(", PyTorch %.1f MiB, ratio %.2f\n", peer.peak_added_bytes / (1 << 20), ours / peer.peak_added_bytes);
  } else {
    std::printf(", PyTorch: %s\n", peer.error.c_str());
  }
}

// Three steps; writes their losses (losses.npy) and the parameters after them (fc1.weight.npy,
// ...) to `dir`.
int Check(const std::string& dir) {
  auto trainer = MakeTrainer();
  NamedTensors batch = Batch();
  Tensor losses = Tensor::Empty(DType::kF32, {3});
  for (int i = 0; i < 3; ++i) {
    losses.data<float>()[i] = trainer->Step(batch).at("loss").data<float>()[0];
  }
  WriteNpy(dir + "/losses.npy", losses);
  for (int l = 1; l <= 3; ++l) {
    for (const char* part : {"weight", "bias"}) {
      std::string name = "fc" + std::to_string(l);
      WriteNpy(dir + "/" + name + "." + part + ".npy", trainer->parameter(name + "/" + part));
    }
  }
  return 0;
}

}  // namespace
}  // namespace bronze::bench

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--bronze_check_out=", 19) == 0)
      return bronze::bench::Check(argv[i] + 19);
  }
  bronze::bench::ReportMemory();
  return bronze::bench::Main(argc, argv,
                             {{"MLP 784-1024-1024-10 SGD train step, batch 256, 2 threads (goal <= 0.8)",
                               "BM_BronzeMlpStep/iterations:20/real_time", "BM_TorchMlpStep/iterations:20/manual_time"}});
}
