// The shared benchmark main: a reporter that records every repetition, then the ratio table.
#include "benchmarks/bench_util.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

namespace bronze::bench {
namespace {

struct Samples {
  std::vector<double> seconds;  // per iteration, one entry per repetition
  std::vector<double> bytes_per_second;
  std::vector<double> items_per_second;
};

class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      Samples& s = samples_[run.run_name.str()];
      s.seconds.push_back(run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit));
      auto bps = run.counters.find("bytes_per_second");
      if (bps != run.counters.end()) s.bytes_per_second.push_back(bps->second.value);
      auto ips = run.counters.find("items_per_second");
      if (ips != run.counters.end()) s.items_per_second.push_back(ips->second.value);
    }
    ConsoleReporter::ReportRuns(runs);
  }
  const std::map<std::string, Samples>& samples() const { return samples_; }

 private:
  std::map<std::string, Samples> samples_;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The ratio at the best and at the median repetition of each side.
bool Ratios(const Samples& ours, const Samples& peer, Metric metric, double* best, double* median) {
  const std::vector<double>* a = &ours.seconds;
  const std::vector<double>* b = &peer.seconds;
  if (metric == Metric::kBytesPerSecond) a = &ours.bytes_per_second, b = &peer.bytes_per_second;
  if (metric == Metric::kItemsPerSecond) a = &ours.items_per_second, b = &peer.items_per_second;
  if (a->empty() || b->empty()) return false;
  if (metric == Metric::kTime) {
    *best = *std::min_element(a->begin(), a->end()) / *std::min_element(b->begin(), b->end());
  } else {
    *best = *std::max_element(a->begin(), a->end()) / *std::max_element(b->begin(), b->end());
  }
  *median = Median(*a) / Median(*b);
  return true;
}

}  // namespace

KernelRunner::KernelRunner(const std::string& op, AttrMap attrs, std::vector<Tensor> inputs,
                           int threads, const std::string& backend)
    : inputs_(std::move(inputs)), pool_(std::make_unique<ThreadPool>(threads)) {
  const OpSchema& schema = OpRegistry::Global().Get(op);
  attrs_ = ResolveAttributes(schema, std::move(attrs));
  std::vector<TensorType> in;
  for (const Tensor& t : inputs_) in.push_back({t.dtype(), Shape::FromDims(t.dims())});
  std::vector<TensorType> out = InferOutputTypes(schema, attrs_, in, op, "");
  DType dispatch = schema.dispatch_input < 0 ? out[0].dtype : in[static_cast<size_t>(schema.dispatch_input)].dtype;
  const KernelEntry* entry = KernelRegistry::Global().Find(op, DeviceKind::kCPU, dispatch, backend);
  if (!entry) throw NotFoundError("no kernel for " + op);
  kernel_ = entry->factory(KernelSignature{op, attrs_, in, out, Device::CPU()});
  for (const TensorType& t : out) outputs_.push_back(Tensor::Zeros(t.dtype, t.shape.static_dims()));
}

void KernelRunner::Run() {
  ExecContext ctx = pool_->context();
  pool_->Run([&] { kernel_->Run(inputs_, outputs_, ctx); });
}

int64_t KernelRunner::bytes() const {
  int64_t n = 0;
  for (const Tensor& t : inputs_) n += static_cast<int64_t>(t.nbytes());
  for (const Tensor& t : outputs_) n += static_cast<int64_t>(t.nbytes());
  return n;
}

int Main(int argc, char** argv, const std::vector<Comparison>& comparisons) {
  std::vector<char*> args(argv, argv + argc);
  bool has_repetitions = false;
  for (int i = 1; i < argc; ++i) has_repetitions |= std::strncmp(argv[i], "--benchmark_repetitions", 23) == 0;
  std::string repetitions = "--benchmark_repetitions=5";
  if (!has_repetitions) args.push_back(repetitions.data());
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf("\n%-52s %-12s %10s %10s\n", "comparison (bronze vs peer)", "metric", "min", "median");
  for (const Comparison& c : comparisons) {
    auto ours = reporter.samples().find(c.ours);
    auto peer = reporter.samples().find(c.peer);
    if (ours == reporter.samples().end() || peer == reporter.samples().end()) continue;
    double best = 0, median = 0;
    if (!Ratios(ours->second, peer->second, c.metric, &best, &median)) continue;
    const char* metric = c.metric == Metric::kTime ? "time ratio" : "rate ratio";
    std::printf("%-52s %-12s %9.3fx %9.3fx\n", c.label.c_str(), metric, best, median);
  }
  return 0;
}

}  // namespace bronze::bench
