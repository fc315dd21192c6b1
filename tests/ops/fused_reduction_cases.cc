// Test cases of fused_reduction (graph/ops/fused.cc, id 1004): programs of one row reduction
// with prologues and epilogues, run by the blocked cpu executor (kernels/cpu/fused_reduction.cc)
// against the op-by-op reference kernel: softmax under a mask and a product, layer_norm of a
// residual sum with weight and bias, rows longer than a block (few: row by row over the
// threads), reductions over two trailing axes, many blocks with a partial last one (two
// threads), tasks of several blocks, pointwise losses (mean and sum as per-block sums, none,
// a target cut with the rows, pos_weight passed whole), cross_entropy and nll over (N, C) rows
// (class indices cut with the rows, mean over the non-ignored ones), a broadcast prologue operand, an
// epilogue alone, and the op-by-op forms (a leading-axis reduction, empty rows); error cases for
// programs without a reduction, with two, with a non-row reduction and with a bad arity.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }

AttrMap Program(const std::string& p) { return AttrMap{{"program", Attribute(p)}}; }

}  // namespace

BRONZE_OP_CASES(fused_reduction) {
  const std::string op = "fused_reduction";
  c.FreezeId(op, 1004);
  auto add = [&](const std::string& name, std::vector<InputSpec> in, const std::string& program) {
    c.Add(ConformanceCase{op, name, std::move(in), Program(program), 1e-5, 1e-6});
  };
  add("softmax of a masked sum, times a factor", {F32({6, 37}), F32({37}), F32({6, 37})},
      "t0 = add(in0, in1); t1 = softmax(t0) {axis = -1}; t2 = mul(t1, in2); return t2");
  add("layer_norm of a residual sum, weight, bias, relu",
      {F32({4, 3, 64}), F32({4, 3, 64}), F32({64}), F32({64})},
      "t0 = add(in0, in1); t1 = layer_norm(t0, in2, in3) {eps = 1e-05, normalized_ndim = 1}; "
      "t2 = relu(t1); return t2");
  add("log_softmax rows longer than a block, positive axis", {F32({3, 10007})},
      "t0 = tanh(in0); t1 = log_softmax(t0) {axis = 1}; return t1");
  add("two rows longer than a block: row by row over the threads",
      {F32({2, 20011}), F32({20011}), F32({2, 20011})},
      "t0 = mul(in0, in1); t1 = softmax(t0) {axis = -1}; t2 = sub(t1, in2); "
      "t3 = maximum(t2, in2); return t3");
  add("many blocks per task, a partial last block", {F32({2048, 130}), F32({130})},
      "t0 = add(in0, in1); t1 = log_softmax(t0) {axis = -1}; t2 = neg(t1); return t2");
  add("reduce_sum over two trailing axes, kept, then sqrt", {F32({5, 7, 9, 11})},
      "t0 = mul(in0, in0); t1 = reduce_sum(t0) {axes = [2, 3], keepdims = 1}; t2 = sqrt(t1); "
      "return t2");
  add("reduce_max over many blocks with a partial last one", {F32({1000, 30})},
      "t0 = abs(in0); t1 = reduce_max(t0) {axes = [-1], keepdims = 0}; t2 = neg(t1); return t2");
  add("logsumexp of a column-broadcast difference", {F32({8, 50}), F32({8, 1})},
      "t0 = sub(in0, in1); t1 = logsumexp(t0) {axes = [-1], keepdims = 1}; return t1");
  add("reduce_mean and reduce_min, epilogue reading a scalar",
      {F32({40, 3, 70}), F32({})},
      "t0 = sigmoid(in0); t1 = reduce_mean(t0) {axes = [1, 2], keepdims = 0}; "
      "t2 = mul(t1, in1); return t2");
  add("reduce_min, no epilogue", {F32({9, 2, 5})},
      "t0 = exp(in0); t1 = reduce_min(t0) {axes = [-1], keepdims = 1}; return t1");
  add("layer_norm over two axes, no affine", {F32({3, 4, 50})},
      "t0 = sigmoid(in0); t1 = layer_norm(t0) {eps = 1e-05, normalized_ndim = 2}; return t1");
  add("epilogue only", {F32({17, 129}), F32({129})},
      "t0 = softmax(in0) {axis = -1}; t1 = mul(t0, in1); t2 = add(t1, t0); return t2");
  add("mse mean of a sigmoid, scaled: two blocks' sums", {F32({300, 40}), F32({300, 40}), F32({})},
      "t0 = sigmoid(in0); t1 = mse(t0, in1) {reduction = 'mean'}; t2 = mul(t1, in2); return t2");
  add("l1 sum over many blocks, a row-broadcast prologue",
      {F32({2000, 50}), F32({2000, 50}), F32({50})},
      "t0 = sub(in0, in2); t1 = l1(t0, in1) {reduction = 'sum'}; return t1");
  add("binary_cross_entropy_with_logits none, pos_weight whole",
      {F32({64, 10}), Uniform(DType::kF32, {64, 10}, 0.0, 1.0), Uniform(DType::kF32, {10}, 0.5, 2.0),
       F32({})},
      "t0 = mul(in0, in3); t1 = binary_cross_entropy_with_logits(t0, in1, in2) "
      "{reduction = 'none'}; t2 = neg(t1); return t2");
  // Class-index losses over (N, C) rows: 8192 / 10 = 819 rows a block, so 2000 rows make two
  // full blocks and a partial one; "mean" divides by the rows not ignored, in every block.
  add("cross_entropy mean with ignore_index over blocks, a scaled and shifted prologue",
      {F32({2000, 10}), Ints(DType::kI64, {2000}, -1, 10), F32({}), F32({10})},
      "t0 = mul(in0, in2); t1 = add(t0, in3); t2 = cross_entropy(t1, in1) "
      "{ignore_index = -1, label_smoothing = 0.0, reduction = 'mean'}; return t2");
  add("cross_entropy sum with label smoothing, i32 targets, an epilogue",
      {F32({1500, 37}), Ints(DType::kI32, {1500}, 0, 37), F32({})},
      "t0 = tanh(in0); t1 = cross_entropy(t0, in1) "
      "{ignore_index = -100, label_smoothing = 0.1, reduction = 'sum'}; t2 = mul(t1, in2); "
      "return t2");
  add("cross_entropy none, per-row losses through an epilogue",
      {F32({900, 12}), Ints(DType::kI64, {900}, 0, 12), F32({900})},
      "t0 = neg(in0); t1 = cross_entropy(t0, in1) "
      "{ignore_index = 3, label_smoothing = 0.0, reduction = 'none'}; t2 = add(t1, in2); "
      "return t2");
  add("cross_entropy mean with every target ignored is NaN",
      {F32({1000, 10}), Ints(DType::kI64, {1000}, -1, 0)},
      "t0 = abs(in0); t1 = cross_entropy(t0, in1) "
      "{ignore_index = -1, label_smoothing = 0.0, reduction = 'mean'}; return t1");
  add("cross_entropy over rows longer than a block, row by row",
      {F32({2, 9000}), Ints(DType::kI64, {2}, 0, 9000)},
      "t0 = mul(in0, in0); t1 = cross_entropy(t0, in1) "
      "{ignore_index = -100, label_smoothing = 0.0, reduction = 'mean'}; return t1");
  add("nll mean of a log-probability prologue, ignore_index",
      {F32({3000, 5}), Ints(DType::kI32, {3000}, 0, 5)},
      "t0 = sigmoid(in0); t1 = log(t0); t2 = nll(t1, in1) "
      "{ignore_index = 2, reduction = 'mean'}; return t2");
  add("cross_entropy over (N, C, L): op by op", {F32({3, 4, 5}), Ints(DType::kI64, {3, 5}, 0, 4)},
      "t0 = exp(in0); t1 = cross_entropy(t0, in1) "
      "{ignore_index = -100, label_smoothing = 0.0, reduction = 'mean'}; return t1");
  add("mse mean over two long rows, row by row", {F32({2, 20000}), F32({2, 20000})},
      "t0 = tanh(in0); t1 = mse(t0, in1) {reduction = 'mean'}; return t1");
  add("reduction over a leading axis runs op by op", {F32({6, 5})},
      "t0 = exp(in0); t1 = reduce_sum(t0) {axes = [0], keepdims = 0}; return t1");
  add("empty rows run op by op", {F32({0, 5}), F32({5})},
      "t0 = add(in0, in1); t1 = softmax(t0) {axis = -1}; return t1");

  c.Add(ErrorCase{op,
                  "no reduction",
                  {T(DType::kF32, {2, 3})},
                  Program("t0 = exp(in0); return t0"),
                  ErrorCode::kAttribute,
                  {"no reduction"}});
  c.Add(ErrorCase{op,
                  "two reductions",
                  {T(DType::kF32, {2, 3})},
                  Program("t0 = softmax(in0) {axis = -1}; t1 = log_softmax(t0) {axis = -1}; "
                          "return t1"),
                  ErrorCode::kAttribute,
                  {"two reductions", "t0 (softmax)", "t1 (log_softmax)"}});
  c.Add(ErrorCase{op,
                  "argmax is not a row reduction",
                  {T(DType::kF32, {2, 3})},
                  Program("t0 = argmax(in0) {axis = 1}; return t0"),
                  ErrorCode::kAttribute,
                  {"argmax", "cannot be fused"}});
  c.Add(ErrorCase{op,
                  "layer_norm with four operands",
                  {T(DType::kF32, {2, 3}), T(DType::kF32, {3})},
                  Program("t0 = layer_norm(in0, in1, in1, in1); return t0"),
                  ErrorCode::kAttribute,
                  {"layer_norm", "operands, got 4"}});
  c.Add(ErrorCase{"fused_elementwise",
                  "a reduction in an elementwise program",
                  {T(DType::kF32, {2, 3})},
                  Program("t0 = softmax(in0) {axis = -1}; return t0"),
                  ErrorCode::kAttribute,
                  {"softmax", "cannot be fused"}});
}

}  // namespace bronze::testing
