// Per-step timing of a compiled plan: Session::Profile runs a plan's steps in plan order (the
// plain loop, even where the scheduler chose the task graph, so no two steps overlap), reads
// the host clock around each kernel, and reports per step its minimum and median over the runs
// with the op's cost estimate and the rate it implies. The text table (ToString) lists the
// slowest steps first, so the one worth optimizing is on top; `bronze bench --profile` prints it
// and Model.profile() returns it in Python. The profiled loop costs two clock reads per step, so
// a profiled run is slightly slower than Session::Run; compare steps with each other, and whole
// runs with `bronze bench` without --profile.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bronze {

struct StepProfile {
  std::string node;      // the node's name
  std::string op;        // its op ("linear", "fused_elementwise", ...)
  std::string detail;    // a fused node's ops in program order ("mul, add, relu"); else empty
  std::string shape;     // the output shapes, "(256, 1024)" (several: comma separated)
  std::string location;  // the user's line that made the node, where known
  double flops = 0;      // the op's cost estimate at these shapes
  double bytes = 0;      // read + written, by the same estimate
  double min_seconds = 0;
  double median_seconds = 0;
};

struct ProfileReport {
  int runs = 0;
  int threads = 1;
  // Whole profiled runs, including what happens between steps (binding, the thread pool).
  double run_min_seconds = 0;
  double run_median_seconds = 0;
  std::vector<StepProfile> steps;  // in plan order

  // The sum of the steps' medians.
  double step_seconds() const;
  // A table of the `top` slowest steps by median (0: all) with their share of step_seconds(),
  // GFLOP/s and GB/s from the cost estimates, then a line for the rest and the totals.
  std::string ToString(size_t top = 0) const;
  // One JSON object: runs, threads, run_seconds {min, median}, steps [...] in plan order.
  std::string ToJson() const;
};

// `s` as a JSON string literal, quotes included (escapes ", \ and control characters).
std::string JsonQuote(std::string_view s);

// The median of `v` (the mean of the middle two for an even count); 0 when empty.
double Median(std::vector<double> v);

}  // namespace bronze
