// The CPU scheduler's decision: run a plan's steps in a plain loop (the default, lowest overhead)
// or as a task graph whose independent branches run concurrently on the session's TBB
// task_arena (Session::Run spawns a step as soon as its last predecessor finishes; kernels still
// split their own work with ParallelFor inside the same arena, so threads never oversubscribe).
//
// The cost model (times from OpSchema cost estimates, see EstimateStepSeconds):
//   w(s)  = max(flops / 50 GFLOP/s, bytes / 20 GB/s), the step's single-threaded time;
//   w'(s) = w(s) / min(T, max(1, w(s) / 20 us)), its time in the loop, where a big kernel already
//           splits across the T threads by itself;
//   loop  = sum of w'(s);
//   graph = max(critical path of w'(s) + tau, (sum of w(s) + n tau) / T), tau = 2 us per task.
// The task graph is chosen when T > 1 and graph < 0.8 loop: independent branches are each worth
// more than a task's cost and the kernels alone would leave threads idle. A chain never
// qualifies (its critical path is the loop plus overhead), nor do branches of tiny ops.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bronze {

enum class SchedulerMode : uint8_t {
  kAuto,        // the cost model decides
  kSequential,  // always the plain loop
  kParallel,    // always the task graph (when there is more than one thread); for tests
};
// "auto", "sequential", "parallel"; throws InvalidArgumentError for anything else.
SchedulerMode ParseSchedulerMode(const std::string& text);
const char* SchedulerModeName(SchedulerMode mode);

struct ScheduleStep {
  std::vector<int> inputs;   // slots
  std::vector<int> outputs;  // slots
  std::vector<std::pair<int, int>> aliases;  // in-place updates: (output pos, input pos)
  bool side_effects = false;  // ordered after every earlier step with side effects
  double seconds = 0;         // estimated single-threaded time
};

struct Schedule {
  bool parallel = false;
  std::vector<std::vector<int>> successors;  // per step (data, in-place and side-effect edges)
  std::vector<int> num_predecessors;         // per step
  std::vector<int> roots;                    // steps without predecessors
  double loop_seconds = 0;                   // the cost model's estimates
  double graph_seconds = 0;
  double critical_path_seconds = 0;
  int max_width = 1;  // the most steps at one depth of the DAG (a hint of how branchy it is)
  std::string reason;  // one line: why this mode

  // Whether step a finishes before step b starts in every execution of this schedule: a < b in
  // the loop, b reachable from a in the task graph.
  bool HappensBefore(int a, int b) const;

  // Ancestor bitsets of the task graph (empty for the loop).
  std::vector<std::vector<uint64_t>> ancestors;
};

inline constexpr double kTaskSeconds = 2e-6;

// The single-threaded time the cost model gives a step from its op's cost estimate.
double EstimateStepSeconds(double flops, double bytes);

Schedule MakeSchedule(const std::vector<ScheduleStep>& steps, int threads, SchedulerMode mode);

}  // namespace bronze
