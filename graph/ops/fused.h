// The program of a `fused_elementwise` or `fused_reduction` node (graph/ops/fused.cc), shared by
// the ops' shape functions, their kernels (kernels/ref/fused.cc, kernels/cpu/fused.cc,
// kernels/cpu/fused_reduction.cc) and the fuse pass.
//
// A program is one string attribute, so model files and the text IR carry it with no new
// attribute type:
//
//   t0 = add(in0, in1); t1 = leaky_relu(t0) {negative_slope = 0.2}; return t1
//
// `inK` is the node's input K, `tI` the result of instruction I (instructions are numbered
// from 0 in order and may only read earlier results). Each instruction is an op whose fusion
// kind is elementwise or broadcast, with its full attribute map (strings in single quotes).
// `return` lists the node's outputs. A fused_reduction program also holds exactly one row
// reduction (FusedRowReduction: softmax, layer_norm, reduce_sum, ...) with its elementwise
// prologue (the instructions computing its input) and epilogue (those reading its result).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "graph/op_registry.h"

namespace bronze {

// An operand: the node's input `index` or the result of instruction `index`.
struct FusedRef {
  bool input = false;
  int index = 0;
  bool operator==(const FusedRef&) const = default;
  std::string ToString() const;  // "in0", "t3"
};

struct FusedInstr {
  const OpSchema* op = nullptr;
  std::vector<FusedRef> args;
  AttrMap attrs;  // resolved (defaults filled in)
};

struct FusedProgram {
  std::vector<FusedInstr> instrs;
  std::vector<FusedRef> outputs;
  // Number of node inputs the program reads (1 + the largest input index).
  int num_inputs() const;
};

// Parses and checks a program: syntax, op names known and fusible (elementwise or broadcast,
// fixed arity, no side effects), operand counts, results read only after they are computed,
// attribute names, types and values. Throws AttributeError saying what and where.
// With `allow_reduction`, instructions may also be row reductions (FusedRowReduction), with any
// arity the op takes; fused_reduction's validation then requires exactly one.
FusedProgram ParseFusedProgram(std::string_view text, bool allow_reduction = false);
// The ops a fused_reduction program may hold as its one reduction: softmax, log_softmax,
// layer_norm, reduce_sum, reduce_mean, reduce_max, reduce_min, logsumexp, the pointwise
// losses (PointwiseLoss) and the class-index losses (ClassIndexLoss).
bool FusedRowReduction(std::string_view op);
// mse, l1, binary_cross_entropy_with_logits: a loss per element, then the reduction (none,
// sum, mean). Their second operand (the target) has the input's shape.
bool PointwiseLoss(std::string_view op);
// cross_entropy, nll: a loss per row of (N, C) logits (or log-probabilities) against (N) integer
// class indices; "mean" divides the sum by the rows whose target is not ignore_index.
bool ClassIndexLoss(std::string_view op);
// How many trailing axes of a rank-`rank` input the row reduction `op` (resolved attributes)
// reduces, when it reduces trailing axes only and keeps at least one leading axis (the rows the
// CPU executor blocks over); else 0.
int64_t RowReductionTrailingAxes(const OpSchema& op, const AttrMap& attrs, int64_t rank);
// The index of a fused_reduction program's reduction instruction; AttributeError unless there is
// exactly one.
int FusedReductionIndex(const FusedProgram& program);
// The canonical text (what ParseFusedProgram reads back to an equal program).
std::string PrintFusedProgram(const FusedProgram& program);

// Types of every instruction result (and, the return value, of the outputs) for these input
// types; checks that the program reads exactly inputs 0..n-1 (AttributeError) and runs each
// instruction's own shape function (its errors say which instruction failed).
std::vector<TensorType> InferFusedTypes(const FusedProgram& program,
                                        std::span<const TensorType> inputs,
                                        std::vector<TensorType>* instr_types = nullptr);

// The ops and dtypes the fast CPU executor (kernels/cpu/fused.cc) runs without falling back to
// the op-by-op reference path: the fuse pass only forms groups of these.
bool FusedExecutorSupports(std::string_view op);
bool FusedExecutorSupportsDType(DType dtype);

// The elementwise tail of a linear_fused / matmul_fused / conv2d_fused node (their attributes
// `activation`, `residual`) as a fused program over in0 = the base op's result, then the bias
// (when `bias_add`: matmul's, added here), then the residual; "" when there is nothing to do.
// The reference kernels run it after the base op.
std::string EpilogueProgram(const AttrMap& attrs, bool bias_add);
// graph/ops/fused_epilogue.cc; called by RegisterFusedOps.
void RegisterFusedEpilogueOps(OpRegistry& registry);

}  // namespace bronze
