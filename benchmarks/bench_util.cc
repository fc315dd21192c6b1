// The shared benchmark main: a reporter that records every repetition, then the ratio table, and
// optionally (--bronze_json_out=PATH) all of it as JSON.
#include "benchmarks/bench_util.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace bronze::bench {
namespace {

struct Samples {
  std::vector<double> seconds;  // per iteration, one entry per repetition
  std::vector<double> bytes_per_second;
  std::vector<double> items_per_second;
  std::map<std::string, std::vector<double>> counters;  // every counter, one entry per repetition
};

struct Figure {
  double value = 0;
  std::string unit;
};

std::mutex& FiguresMutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, Figure>& Figures() {
  static std::map<std::string, Figure> figures;
  return figures;
}

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
      for (const auto& [name, counter] : run.counters) s.counters[name].push_back(counter.value);
    }
    ConsoleReporter::ReportRuns(runs);
  }
  const std::map<std::string, Samples>& samples() const { return samples_; }

 private:
  std::map<std::string, Samples> samples_;
};

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


// JSON has no inf or NaN: they become null.
std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

std::string JsonArray(const std::vector<double>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + JsonNumber(values[i]);
  return out + "]";
}

const char* MetricName(Metric metric) {
  switch (metric) {
    case Metric::kTime:
      return "time";
    case Metric::kBytesPerSecond:
      return "bytes_per_second";
    case Metric::kItemsPerSecond:
      return "items_per_second";
  }
  return "?";
}

// {"benchmarks": {name: {"seconds": [...], "counters": {name: [...]}}},
//  "comparisons": [{"label", "ours", "peer", "metric", "min", "median"}], "figures": {...}}
bool WriteJson(const std::string& path, const std::map<std::string, Samples>& samples,
               const std::vector<Comparison>& comparisons) {
  std::ostringstream os;
  os << "{\n  \"benchmarks\": {";
  bool first = true;
  for (const auto& [name, s] : samples) {
    os << (first ? "\n" : ",\n") << "    " << JsonQuote(name)
       << ": {\"seconds\": " << JsonArray(s.seconds) << ", \"counters\": {";
    bool first_counter = true;
    for (const auto& [counter, values] : s.counters) {
      os << (first_counter ? "" : ", ") << JsonQuote(counter) << ": " << JsonArray(values);
      first_counter = false;
    }
    os << "}}";
    first = false;
  }
  os << "\n  },\n  \"comparisons\": [";
  first = true;
  for (const Comparison& c : comparisons) {
    auto ours = samples.find(c.ours);
    auto peer = samples.find(c.peer);
    double best = NAN, median = NAN;
    if (ours == samples.end() || peer == samples.end() ||
        !Ratios(ours->second, peer->second, c.metric, &best, &median)) {
      continue;
    }
    os << (first ? "\n" : ",\n") << "    {\"label\": " << JsonQuote(c.label)
       << ", \"ours\": " << JsonQuote(c.ours) << ", \"peer\": " << JsonQuote(c.peer)
       << ", \"metric\": " << JsonQuote(MetricName(c.metric)) << ", \"min\": " << JsonNumber(best)
       << ", \"median\": " << JsonNumber(median) << "}";
    first = false;
  }
  os << "\n  ],\n  \"figures\": {";
  first = true;
  {
    std::lock_guard<std::mutex> lock(FiguresMutex());
    for (const auto& [name, f] : Figures()) {
      os << (first ? "\n" : ",\n") << "    " << JsonQuote(name)
         << ": {\"value\": " << JsonNumber(f.value) << ", \"unit\": " << JsonQuote(f.unit) << "}";
      first = false;
    }
  }
  os << "\n  }\n}\n";
  std::ofstream out(path);
  out << os.str();
  return static_cast<bool>(out);
}

}  // namespace

void MemcpyPeer(benchmark::State& state, int64_t floats, int threads) {
  Tensor x = Tensor::Zeros(DType::kF32, {floats});
  Tensor y = Tensor::Zeros(DType::kF32, {floats});
  ThreadPool pool(threads);
  ExecContext ctx = pool.context();
  for (auto _ : state) {
    pool.Run([&] {
      ParallelFor(ctx, floats, 1 << 18, [&](int64_t b, int64_t e) {
        std::memcpy(y.data<float>() + b, x.data<float>() + b, static_cast<size_t>(e - b) * 4);
      });
    });
    benchmark::DoNotOptimize(y.data<float>());
  }
  state.SetBytesProcessed(state.iterations() * floats * 8);
}

void RecordFigure(const std::string& name, double value, const std::string& unit) {
  std::lock_guard<std::mutex> lock(FiguresMutex());
  Figures()[name] = Figure{value, unit};
}

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
  std::vector<char*> args;
  std::string json_out;
  bool has_repetitions = false;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && std::strncmp(argv[i], "--bronze_json_out=", 18) == 0) {
      json_out = argv[i] + 18;
      continue;
    }
    has_repetitions |= i > 0 && std::strncmp(argv[i], "--benchmark_repetitions", 23) == 0;
    args.push_back(argv[i]);
  }
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
  if (!json_out.empty() && !WriteJson(json_out, reporter.samples(), comparisons)) {
    std::fprintf(stderr, "cannot write %s\n", json_out.c_str());
    return 1;
  }
  return 0;
}

}  // namespace bronze::bench
