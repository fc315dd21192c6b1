// The scheduler's decision (loop or task graph) from the step DAG and the cost model, see
// scheduler.h.
#include "runtime/scheduler.h"

#include <algorithm>
#include <cstdio>

#include "graph/error.h"

namespace bronze {

SchedulerMode ParseSchedulerMode(const std::string& text) {
  if (text == "auto") return SchedulerMode::kAuto;
  if (text == "sequential") return SchedulerMode::kSequential;
  if (text == "parallel") return SchedulerMode::kParallel;
  throw InvalidArgumentError("unknown scheduler '" + text + "' (auto, sequential or parallel)");
}

const char* SchedulerModeName(SchedulerMode mode) {
  switch (mode) {
    case SchedulerMode::kAuto: return "auto";
    case SchedulerMode::kSequential: return "sequential";
    case SchedulerMode::kParallel: return "parallel";
  }
  return "?";
}

double EstimateStepSeconds(double flops, double bytes) {
  return std::max(flops / 50e9, bytes / 20e9);
}

bool Schedule::HappensBefore(int a, int b) const {
  if (!parallel) return a < b;
  const std::vector<uint64_t>& anc = ancestors[static_cast<size_t>(b)];
  return (anc[static_cast<size_t>(a) / 64] >> (static_cast<size_t>(a) % 64)) & 1u;
}

Schedule MakeSchedule(const std::vector<ScheduleStep>& steps, int threads, SchedulerMode mode) {
  const size_t n = steps.size();
  Schedule sched;
  sched.successors.assign(n, {});
  sched.num_predecessors.assign(n, 0);
  std::vector<std::vector<int>> preds(n);
  auto edge = [&](int from, int to) {
    std::vector<int>& p = preds[static_cast<size_t>(to)];
    if (from == to || std::find(p.begin(), p.end(), from) != p.end()) return;
    p.push_back(from);
  };
  // Data edges: producer -> reader. In-place updates: every other reader of the updated value ->
  // the writer (the loop order already has them before it). Side effects stay in loop order.
  int max_slot = -1;
  for (const ScheduleStep& s : steps) {
    for (int v : s.inputs) max_slot = std::max(max_slot, v);
    for (int v : s.outputs) max_slot = std::max(max_slot, v);
  }
  std::vector<int> producer(static_cast<size_t>(max_slot + 1), -1);
  std::vector<std::vector<int>> readers(static_cast<size_t>(max_slot + 1));
  int last_effect = -1;
  for (size_t s = 0; s < n; ++s) {
    const ScheduleStep& step = steps[s];
    for (int v : step.inputs) {
      if (producer[static_cast<size_t>(v)] >= 0) edge(producer[static_cast<size_t>(v)], static_cast<int>(s));
      readers[static_cast<size_t>(v)].push_back(static_cast<int>(s));
    }
    for (int v : step.outputs) producer[static_cast<size_t>(v)] = static_cast<int>(s);
    if (step.side_effects) {
      if (last_effect >= 0) edge(last_effect, static_cast<int>(s));
      last_effect = static_cast<int>(s);
    }
  }
  for (size_t s = 0; s < n; ++s) {
    for (const auto& [k, j] : steps[s].aliases) {
      for (int r : readers[static_cast<size_t>(steps[s].inputs[static_cast<size_t>(j)])]) {
        if (r < static_cast<int>(s)) edge(r, static_cast<int>(s));
      }
    }
  }
  for (size_t s = 0; s < n; ++s) {
    for (int p : preds[s]) {
      if (p > static_cast<int>(s)) ThrowInternal("step order is not topological");
      sched.successors[static_cast<size_t>(p)].push_back(static_cast<int>(s));
    }
    sched.num_predecessors[s] = static_cast<int>(preds[s].size());
    if (preds[s].empty()) sched.roots.push_back(static_cast<int>(s));
  }

  // The cost model.
  const int t = std::max(threads, 1);
  std::vector<double> finish(n, 0);
  std::vector<int> depth(n, 0);
  double total = 0;
  for (size_t s = 0; s < n; ++s) {
    const double w = steps[s].seconds;
    const double in_loop = w / std::min<double>(t, std::max(1.0, w / 20e-6));
    sched.loop_seconds += in_loop;
    total += w;
    double start = 0;
    for (int p : preds[s]) {
      start = std::max(start, finish[static_cast<size_t>(p)]);
      depth[s] = std::max(depth[s], depth[static_cast<size_t>(p)] + 1);
    }
    finish[s] = start + in_loop + kTaskSeconds;
    sched.critical_path_seconds = std::max(sched.critical_path_seconds, finish[s]);
  }
  std::vector<int> width(n + 1, 0);
  for (size_t s = 0; s < n; ++s) sched.max_width = std::max(sched.max_width, ++width[static_cast<size_t>(depth[s])]);
  sched.graph_seconds = std::max(sched.critical_path_seconds,
                                 (total + static_cast<double>(n) * kTaskSeconds) / t);
  char estimate[160];
  std::snprintf(estimate, sizeof estimate, "loop %.1f us, task graph %.1f us (critical path %.1f us, width %d, %d threads)",
                sched.loop_seconds * 1e6, sched.graph_seconds * 1e6,
                sched.critical_path_seconds * 1e6, sched.max_width, t);
  if (t <= 1) {
    sched.reason = "loop: one thread";
  } else if (mode == SchedulerMode::kSequential) {
    sched.reason = "loop: requested";
  } else if (mode == SchedulerMode::kParallel) {
    sched.parallel = true;
    sched.reason = std::string("task graph: requested; ") + estimate;
  } else {
    sched.parallel = sched.graph_seconds < 0.8 * sched.loop_seconds;
    sched.reason = std::string(sched.parallel ? "task graph: " : "loop: ") + estimate;
  }
  if (sched.parallel) {
    const size_t words = (n + 63) / 64;
    sched.ancestors.assign(n, std::vector<uint64_t>(words, 0));
    for (size_t s = 0; s < n; ++s) {
      std::vector<uint64_t>& anc = sched.ancestors[s];
      for (int p : preds[s]) {
        const std::vector<uint64_t>& pa = sched.ancestors[static_cast<size_t>(p)];
        for (size_t w = 0; w < words; ++w) anc[w] |= pa[w];
        anc[static_cast<size_t>(p) / 64] |= uint64_t{1} << (static_cast<size_t>(p) % 64);
      }
    }
  }
  return sched;
}

}  // namespace bronze
