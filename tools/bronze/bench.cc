// `bronze bench FILE --batch N --threads T --warmup W --iters I [--json] [--profile [--top K]]`:
// times Session::Run on generated inputs (f32/f64 uniform in [-1, 1), other dtypes zeros;
// symbolic batch dims bound to N, other symbols by --dim SYM=VALUE) and reports latency
// min/median/p90/mean and throughput in samples per second, as text or as one JSON object. With
// --profile it then times each step over as many more runs (Session::Profile,
// runtime/profile.h) and prints the K slowest (the JSON gets every step).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "tools/bronze/cli.h"

namespace bronze::cli {
namespace {

struct BenchOptions {
  std::string file;
  int64_t batch = 1;
  int threads = 0;
  int warmup = 3;
  int iters = 20;
  std::vector<std::string> dims;
  uint64_t seed = 0;
  bool json = false;
  std::string device = "cpu";
  std::string backend;
  bool profile = false;
  size_t top = 15;
};

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

int RunBench(const BenchOptions& o) {
  Device device = InPhase(kExitUsage, [&] { return Device::Parse(o.device); });
  SymbolBindings dims = ParseDims(o.dims);
  LoadedModel model = LoadModel(o.file);
  SessionOptions options;
  options.threads = o.threads;
  options.device = device;
  options.backend = o.backend;
  auto session = InPhase(kExitInvalidModel, [&] {
    return std::make_unique<Session>(std::move(model.graph), options);
  });
  const std::vector<TensorSpec>& specs = session->input_specs();
  const std::vector<std::string> batch_symbols = BatchSymbols(specs);
  SymbolBindings bindings = BindSymbols(specs, o.batch, dims);
  // Samples per run: the batch dim when the model has a symbolic one, else the leading dim of
  // the first input (a static batch), else 1.
  int64_t samples = o.batch;
  if (batch_symbols.empty()) {
    samples = 1;
    if (!specs.empty() && specs[0].shape.rank() > 0 && specs[0].shape[0].is_static()) {
      samples = specs[0].shape[0].value();
    }
    if (o.batch != 1 && o.batch != samples) {
      throw Failure{kExitBadInput, "--batch " + std::to_string(o.batch) +
                                       ": the model has no symbolic batch dim (a leading dim "
                                       "such as N) to bind it to"};
    }
  }
  std::vector<Tensor> inputs = MakeInputs(specs, bindings, o.seed);
  for (Tensor& t : inputs) t = InRunPhase([&] { return t.To(device); });

  using Clock = std::chrono::steady_clock;
  auto time_one = [&] {
    auto start = Clock::now();
    InRunPhase([&] { return session->Run(inputs); });
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  const double first_ms = time_one();  // compiles the plan for this shape; never timed
  for (int i = 0; i < o.warmup; ++i) time_one();
  std::vector<double> ms;
  for (int i = 0; i < o.iters; ++i) ms.push_back(time_one());
  double total = 0;
  for (double v : ms) total += v;
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  const double min = ms.front();
  const double median = Median(ms);
  // Nearest-rank p90: the smallest value with at least 90% of the runs at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n)));
  const double p90 = ms[std::max<size_t>(rank, 1) - 1];
  const double mean = total / static_cast<double>(n);
  const double throughput = static_cast<double>(samples) * static_cast<double>(n) / (total / 1e3);

  std::optional<ProfileReport> profile;
  if (o.profile) profile = InRunPhase([&] { return session->Profile(inputs, o.iters, 0); });

  if (o.json) {
    std::string b;
    for (const auto& [name, value] : bindings) {
      b += (b.empty() ? "" : ", ") + JsonQuote(name) + ": " + std::to_string(value);
    }
    std::cout << "{\"file\": " << JsonQuote(o.file) << ", \"graph\": "
              << JsonQuote(session->graph().name()) << ", \"device\": "
              << JsonQuote(device.ToString()) << ", \"batch\": " << samples
              << ", \"dims\": {" << b << "}, \"threads\": " << session->threads()
              << ", \"warmup\": " << o.warmup << ", \"iters\": " << o.iters
              << ", \"first_run_ms\": " << Number(first_ms) << ", \"latency_ms\": {\"min\": "
              << Number(min) << ", \"median\": " << Number(median) << ", \"p90\": "
              << Number(p90) << ", \"mean\": " << Number(mean)
              << "}, \"throughput_samples_per_s\": " << Number(throughput);
    if (profile) std::cout << ", \"profile\": " << profile->ToJson();
    std::cout << "}\n";
  } else {
    std::string b;
    for (const auto& [name, value] : bindings) {
      b += (b.empty() ? "" : ", ") + name + "=" + std::to_string(value);
    }
    std::cout << "model:      " << o.file << " (graph " << session->graph().name() << ")\n"
              << "config:     batch " << samples << (b.empty() ? "" : " (" + b + ")")
              << ", threads " << session->threads() << ", device " << device.ToString()
              << ", warmup " << o.warmup << ", iters " << o.iters << "\n"
              << "first run:  " << Number(first_ms) << " ms (includes compiling the plan)\n"
              << "latency:    min " << Number(min) << " ms, median " << Number(median)
              << " ms, p90 " << Number(p90) << " ms, mean " << Number(mean) << " ms\n"
              << "throughput: " << Number(throughput) << " samples/s\n";
    if (profile) std::cout << profile->ToString(o.top);
  }
  return kExitOk;
}

}  // namespace

Command AddBenchCommand(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* sub = app.add_subcommand(
      "bench", "Time a model on generated inputs: latency min/median/p90 and throughput.");
  sub->add_option("FILE", o->file, "A .bronze model file or text IR")->required();
  sub->add_option("-b,--batch", o->batch, "Batch size: the value of the symbolic batch dims")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("-t,--threads", o->threads, "Kernel threads (0: every core)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("-w,--warmup", o->warmup,
                  "Untimed runs before the timed ones, after the first run (which compiles the "
                  "plan and is reported apart)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("-n,--iters", o->iters, "Timed runs")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--dim", o->dims, "SYM=VALUE: the size of a non-batch symbolic dim "
                                     "(repeatable)");
  sub->add_option("--seed", o->seed, "Seed of the generated inputs")->capture_default_str();
  sub->add_flag("--json", o->json, "Print one JSON object instead of text");
  sub->add_option("--device", o->device, "cpu, cuda or cuda:K")->capture_default_str();
  sub->add_option("--backend", o->backend, "Kernels: \"\" (the fastest available) or \"ref\"");
  sub->add_flag("--profile", o->profile,
                "Then time each step over --iters more runs and print the slowest (see --top)");
  sub->add_option("--top", o->top, "With --profile: how many steps to list (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  return {sub, [o] { return RunBench(*o); }};
}

}  // namespace bronze::cli
