// Gradient checking against float64 central differences. A graph with a float64 scalar output
// "loss" is differentiated by autodiff (passes/autodiff.h) with respect to chosen placeholders
// and parameters; each gradient element is compared with (L(x + eps) - L(x - eps)) / 2 eps,
// where L runs the forward graph on the reference kernels. Used by the per-op gradient cases
// (tests/ops/gradcheck_test.cc) and the whole-model checks (tests/passes/autodiff_test.cc).
#pragma once

#include <string>
#include <vector>

#include "bronze/bronze.h"

namespace bronze::testing {

struct GradCheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  std::string backend = "ref";  // kernels for both the analytic and the numeric side
};

// Checks d loss / d v for every node named in `wrt` (placeholders or parameters, all float64).
// `inputs` feeds every placeholder. Returns "" when every element agrees, else a description of
// the first mismatch (node, element, analytic and numeric values), or of a missing gradient.
std::string CheckGradients(const Graph& graph, const std::vector<std::string>& wrt,
                           const NamedTensors& inputs, const GradCheckOptions& options = {});

// The analytic gradients alone, by name (the same autodiff graph CheckGradients builds).
NamedTensors AnalyticGradients(const Graph& graph, const std::vector<std::string>& wrt,
                               const NamedTensors& inputs, const std::string& backend = "ref");

}  // namespace bronze::testing
