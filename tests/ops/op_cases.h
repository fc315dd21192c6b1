// The op test-case registry. Each op family has one tests/ops/<family>_cases.cc that registers,
// with BRONZE_OP_CASES, for each of its ops:
//   - conformance cases: input specs and attributes; tests/ops/conformance_test.cc runs each on
//     every backend that has a kernel (ref, cpu, cuda where a GPU exists) against the reference
//     kernel, at 1 and 2 threads (results must be bitwise identical), in f64 on the reference
//     kernels, and round-trips its graph through the text IR;
//   - error cases (at least three per op): inputs and attributes that must be rejected, with the
//     error code and the substrings the message must carry (the shapes or values involved; the
//     test itself checks that the op and node names are there too);
//   - the op's frozen stable id (stored in model files; changing it breaks saved models);
//   - for a differentiable op, at least three gradient cases (tests/ops/<family>_grad_cases.cc):
//     tests/ops/gradcheck_test.cc checks autodiff's gradient against float64 central
//     differences (plain inputs, broadcasting, size-1 dims, ...).
// tests/ops/coverage_test.cc fails when a registered op lacks any of these or a fast CPU kernel.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "bronze/bronze.h"

namespace bronze::testing {

// How an input is filled with random values.
enum class Fill {
  kNormal,    // standard normal (floats)
  kUniform,   // uniform in [lo, hi) (floats), or integers in [lo, hi) (integer dtypes)
  kBool,      // random true/false
  kDistinct,  // a random permutation of 0..n-1 scaled by 1/n (floats without ties: max/argmax)
};

struct InputSpec {
  DType dtype = DType::kF32;
  Dims dims;
  Fill fill = Fill::kNormal;
  double lo = -1, hi = 1;
  // When set, this exact tensor is fed instead of a random one.
  std::optional<Tensor> value;
};

// Shorthands: F32({2, 3}), Uniform(DType::kF32, {4}, 0.1, 2), Ints(DType::kI64, {8}, 0, 10),
// Bools({3}), Distinct({5}), Given(tensor).
InputSpec F32(Dims dims);
InputSpec Uniform(DType dtype, Dims dims, double lo, double hi);
InputSpec Ints(DType dtype, Dims dims, int64_t lo, int64_t hi);
InputSpec Bools(Dims dims);
InputSpec Distinct(Dims dims);
InputSpec Given(Tensor value);

struct ConformanceCase {
  std::string op;
  std::string name;  // what the case covers: "broadcast rows", "negative axis", "empty", ...
  std::vector<InputSpec> inputs;
  AttrMap attrs;
  // Tolerance of every backend against the reference kernel (|x - ref| <= atol + rtol*|ref|);
  // integer and bool outputs must match exactly.
  double rtol = 1e-5;
  double atol = 1e-6;
  // Also run the reference kernel in f64 (float inputs converted) and compare with f32.
  bool check_f64 = true;
};

struct ErrorCase {
  std::string op;
  std::string name;  // what is wrong: "axis out of range", "rank mismatch", ...
  std::vector<TensorType> inputs;
  AttrMap attrs;
  ErrorCode code = ErrorCode::kShape;
  // Substrings the message must contain besides the op and node names (shapes, values).
  std::vector<std::string> expect;
  // When set, the graph must build, and running it on these inputs (ref and cpu backends) must
  // fail instead (errors only a kernel can see: an index out of range, a zero divisor).
  std::optional<std::vector<Tensor>> run_with;
};

struct GradCase {
  std::string op;
  std::string name;  // "plain", "broadcast", "size-1 dims", ...
  std::vector<InputSpec> inputs;  // f32 specs are converted to f64
  AttrMap attrs;
  // Inputs whose gradient is checked; empty: every float input.
  std::vector<int> wrt;
  // Outputs that enter the loss (sum of each output times fixed random weights); empty: every
  // float output.
  std::vector<int> outputs;
  double atol = 1e-5;
  double rtol = 1e-3;
  double eps = 1e-6;
};

class OpCases {
 public:
  static OpCases& Get();

  void Add(ConformanceCase c) { conformance_.push_back(std::move(c)); }
  void Add(ErrorCase c) { errors_.push_back(std::move(c)); }
  void Add(GradCase c) { grads_.push_back(std::move(c)); }
  void FreezeId(const std::string& op, uint32_t id) { frozen_ids_.emplace_back(op, id); }

  const std::vector<ConformanceCase>& conformance() const { return conformance_; }
  const std::vector<ErrorCase>& errors() const { return errors_; }
  const std::vector<std::pair<std::string, uint32_t>>& frozen_ids() const { return frozen_ids_; }
  const std::vector<GradCase>& grads() const { return grads_; }

 private:
  std::vector<GradCase> grads_;
  std::vector<ConformanceCase> conformance_;
  std::vector<ErrorCase> errors_;
  std::vector<std::pair<std::string, uint32_t>> frozen_ids_;
};

// Registers a family's cases at static-initialization time:
//   BRONZE_OP_CASES(unary) { c.FreezeId("neg", 202); c.Add(ConformanceCase{...}); ... }
#define BRONZE_OP_CASES(family)                                                       \
  static void BronzeOpCases_##family(::bronze::testing::OpCases& c);                  \
  [[maybe_unused]] static const bool bronze_op_cases_registered_##family =            \
      (BronzeOpCases_##family(::bronze::testing::OpCases::Get()), true);              \
  static void BronzeOpCases_##family([[maybe_unused]] ::bronze::testing::OpCases& c)

// --- Harness pieces, shared by the tests in this folder. ---

// A reproducible random tensor for `spec` (seeded by `seed`).
Tensor MakeInput(const InputSpec& spec, uint64_t seed);
// The same tensor converted to f64 when it is f32 (other dtypes unchanged).
Tensor ToF64(const Tensor& t);
// Output types of `op` applied to `inputs` with `attrs` (resolved with defaults).
std::vector<TensorType> OutputTypes(const std::string& op, const AttrMap& attrs,
                                    const std::vector<Tensor>& inputs);
// Binds the kernel of `entry` and runs it on `inputs` with `threads` threads (in a task_arena).
std::vector<Tensor> RunKernel(const KernelEntry& entry, const std::string& op, const AttrMap& attrs,
                              const std::vector<Tensor>& inputs, int threads);
// "" when `got` matches `want` (same dtype and dims; values within atol + rtol*|want|, exact
// for integers and bools; NaN matches NaN), else a description of the first mismatch.
std::string Compare(const Tensor& got, const Tensor& want, double rtol, double atol);
// A graph with one placeholder per input ("in0", ...), the op as node "node_under_test", and its
// outputs as graph outputs "out0", ...
Graph SingleOpGraph(const std::string& op, const AttrMap& attrs,
                    const std::vector<TensorType>& inputs);
// gtest prints a case as its op and name.
void PrintTo(const ConformanceCase& c, std::ostream* os);
void PrintTo(const ErrorCase& c, std::ostream* os);
void PrintTo(const GradCase& c, std::ostream* os);
// Stable seed of a case.
uint64_t CaseSeed(const std::string& op, const std::string& name);

}  // namespace bronze::testing
