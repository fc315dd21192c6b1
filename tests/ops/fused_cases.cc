// Test cases of the fused family (graph/ops/fused.cc, ids 1000-1099): fused_elementwise
// programs run by the tiled cpu executor against the op-by-op reference kernel, over a per-row
// bias, a per-column factor, scalars, scalar-only instructions, bool intermediates, two outputs,
// many tiles at two threads, streams large enough to be prefetched, empty and integer (op-by-op
// fallback) inputs; error cases for malformed programs and shapes; the frozen id.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }

AttrMap Program(const std::string& p) { return AttrMap{{"program", Attribute(p)}}; }

}  // namespace

BRONZE_OP_CASES(fused) {
  const std::string op = "fused_elementwise";
  c.FreezeId(op, 1000);
  auto add = [&](const std::string& name, std::vector<InputSpec> in, const std::string& program,
                 double rtol = 1e-6, double atol = 1e-6) {
    c.Add(ConformanceCase{op, name, std::move(in), Program(program), rtol, atol});
  };
  add("row bias, tanh, product", {F32({5, 7}), F32({7})},
      "t0 = add(in0, in1); t1 = tanh(t0); t2 = mul(t1, in0); return t2");
  add("column factor and scalar", {F32({9, 130}), F32({9, 1}), F32({})},
      "t0 = mul(in0, in1); t1 = sub(t0, in2); t2 = gelu(t1) {approximate = 'tanh'}; "
      "t3 = leaky_relu(t2) {negative_slope = 0.1}; return t3");
  add("scalar-only instructions", {F32({4, 300}), F32({}), F32({})},
      "t0 = mul(in1, in2); t1 = exp(t0); t2 = add(in0, t1); t3 = sigmoid(t2); return t3");
  add("bool intermediates and where", {F32({3, 1000}), F32({1000})},
      "t0 = greater(in0, in1); t1 = less(in0, in1); t2 = logical_or(t0, t1); t3 = neg(in0); "
      "t4 = where(t2, t3, in1); t5 = clip(t4) {max = 0.5, min = -0.5}; return t5");
  add("two outputs", {F32({2, 2050})}, "t0 = abs(in0); t1 = sqrt(t0); t2 = neg(t1); return t2, t1");
  add("large odd size, backward ops", {F32({100003}), Uniform(DType::kF32, {100003}, 0.1, 0.9)},
      "t0 = sigmoid_grad(in0, in1); t1 = relu_grad(t0, in1); t2 = silu_grad(t1, in0); "
      "t3 = gelu_grad(t2, in1) {approximate = 'none'}; return t3");
  // 4 MiB of streams or more: the executor prefetches (kernels/cpu/fused.cc, kPrefetchBytes);
  // a gathered row factor, a bool output and a partial last tile besides.
  add("streams past the prefetch size, bool output",
      {F32({3, 200003}), F32({200003}), F32({3, 200003})},
      "t0 = mul(in0, in1); t1 = add(t0, in2); t2 = greater(t1, in0); t3 = tanh(t1); "
      "return t3, t2");
  add("erf, sin, cos, log, div, pow", {Uniform(DType::kF32, {777}, 0.5, 2.0)},
      "t0 = erf(in0); t1 = sin(in0); t2 = cos(t1); t3 = log(in0); t4 = div(t2, t3); "
      "t5 = pow(in0, t0); t6 = maximum(t4, t5); t7 = minimum(t6, in0); return t7",
      1e-5, 1e-6);
  add("empty", {F32({0, 4}), F32({4})}, "t0 = add(in0, in1); t1 = relu(t0); return t1");
  add("one element", {F32({1}), F32({})}, "t0 = add(in0, in1); t1 = exp(t0); return t1");
  c.Add(ConformanceCase{op, "integers run op by op",
                        {Ints(DType::kI32, {3, 5}, -9, 9), Ints(DType::kI32, {5}, -9, 9)},
                        Program("t0 = add(in0, in1); t1 = relu(t0); t2 = neg(t1); return t2")});

  c.Add(ErrorCase{op,
                  "unknown op in the program",
                  {T(DType::kF32, {3})},
                  Program("t0 = frobnicate(in0); return t0"),
                  ErrorCode::kAttribute,
                  {"unknown op 'frobnicate'"}});
  c.Add(ErrorCase{op,
                  "program reads more inputs than the node has",
                  {T(DType::kF32, {3})},
                  Program("t0 = add(in0, in1); return t0"),
                  ErrorCode::kAttribute,
                  {"reads 2 inputs", "node has 1"}});
  c.Add(ErrorCase{op,
                  "operands do not broadcast",
                  {T(DType::kF32, {2, 3}), T(DType::kF32, {4})},
                  Program("t0 = add(in0, in1); return t0"),
                  ErrorCode::kShape,
                  {"(2, 3)", "(4,)"}});
  c.Add(ErrorCase{op,
                  "opaque op in the program",
                  {T(DType::kF32, {2, 2})},
                  Program("t0 = matmul(in0, in0); return t0"),
                  ErrorCode::kAttribute,
                  {"matmul", "cannot be fused"}});
  c.Add(ErrorCase{op,
                  "bad attribute value",
                  {T(DType::kF32, {3})},
                  Program("t0 = gelu(in0) {approximate = 'fast'}; return t0"),
                  ErrorCode::kAttribute,
                  {"approximate", "fast"}});
  c.Add(ErrorCase{op,
                  "dtype rejected by an instruction",
                  {T(DType::kI32, {3})},
                  Program("t0 = exp(in0); return t0"),
                  ErrorCode::kType,
                  {"dtype i32"}});
}

}  // namespace bronze::testing

namespace bronze::testing {
namespace {

AttrMap Epi(const std::string& activation, const std::string& residual, int64_t bias,
            AttrMap base = {}) {
  base["activation"] = Attribute(activation);
  base["residual"] = Attribute(residual);
  base["bias"] = Attribute(bias);
  return base;
}

}  // namespace

BRONZE_OP_CASES(fused_epilogue) {
  c.FreezeId("linear_fused", 1001);
  c.FreezeId("matmul_fused", 1002);
  c.FreezeId("conv2d_fused", 1003);
  const double rtol = 1e-5, atol = 1e-5;
  auto add = [&](const std::string& op, const std::string& name, std::vector<InputSpec> in,
                 AttrMap attrs) {
    c.Add(ConformanceCase{op, name, std::move(in), std::move(attrs), rtol, atol});
  };
  // linear_fused: x (..., in), weight (out, in), [bias (out)], [residual].
  add("linear_fused", "bias relu", {F32({5, 8}), F32({6, 8}), F32({6})}, Epi("relu", "none", 1));
  add("linear_fused", "bias gelu residual after", {F32({2, 3, 8}), F32({6, 8}), F32({6}),
      F32({2, 3, 6})}, Epi("gelu", "after", 1));
  add("linear_fused", "residual before tanh, no bias", {F32({7, 16}), F32({9, 16}), F32({7, 9})},
      Epi("tanh", "before", 0));
  add("linear_fused", "gelu_tanh, many rows", {F32({300, 33}), F32({17, 33}), F32({17})},
      Epi("gelu_tanh", "none", 1));
  add("matmul_fused", "bias sigmoid", {F32({4, 5}), F32({5, 3}), F32({3})},
      Epi("sigmoid", "none", 1));
  add("matmul_fused", "batched a, bias, residual after relu",
      {F32({2, 4, 5}), F32({5, 3}), F32({3}), F32({2, 4, 3})}, Epi("relu", "after", 1));
  add("matmul_fused", "transposed b, residual before relu",
      {F32({6, 5}), F32({3, 5}), F32({6, 3})},
      Epi("relu", "before", 0, {{"transpose_b", Attribute(int64_t{1})}}));
  add("matmul_fused", "batched b (op by op)", {F32({2, 4, 5}), F32({2, 5, 3}), F32({3})},
      Epi("tanh", "none", 1));
  add("conv2d_fused", "bias relu", {F32({2, 3, 8, 8}), F32({4, 3, 3, 3}), F32({4})},
      Epi("relu", "none", 1));
  add("conv2d_fused", "stride 2, residual before relu",
      {F32({1, 2, 9, 9}), F32({4, 2, 3, 3}), F32({4}), F32({1, 4, 4, 4})},
      Epi("relu", "before", 1, {{"stride", Attribute(std::vector<int64_t>{2, 2})}}));
  add("conv2d_fused", "no bias, residual after sigmoid",
      {F32({1, 2, 5, 5}), F32({2, 2, 3, 3}), F32({1, 2, 3, 3})}, Epi("sigmoid", "after", 0));

  for (const std::string op : {"linear_fused", "matmul_fused", "conv2d_fused"}) {
    const bool conv = op == "conv2d_fused";
    const DType f = DType::kF32;
    const std::vector<TensorType> ok =
        conv ? std::vector<TensorType>{T(f, {1, 2, 5, 5}), T(f, {3, 2, 3, 3})}
             : (op == "linear_fused" ? std::vector<TensorType>{T(f, {4, 5}), T(f, {3, 5})}
                                     : std::vector<TensorType>{T(f, {4, 5}), T(f, {5, 3})});
    c.Add(ErrorCase{op, "unknown activation", ok, Epi("swish", "none", 0), ErrorCode::kAttribute,
                    {"activation", "swish"}});
    c.Add(ErrorCase{op, "bias flag without a bias input", ok, Epi("relu", "none", 1),
                    ErrorCode::kAttribute, {"need 3 inputs", "got 2"}});
    std::vector<TensorType> bad_res = ok;
    bad_res.push_back(T(f, {7}));
    c.Add(ErrorCase{op, "residual of the wrong shape", bad_res, Epi("relu", "after", 0),
                    ErrorCode::kShape, {"residual f32[7]", "output's type"}});
    c.Add(ErrorCase{op, "bad residual mode", ok, Epi("relu", "sideways", 0),
                    ErrorCode::kAttribute, {"residual", "sideways"}});
  }
}

// matmul_sgd_update(param, a, b, lr[, momentum_buf, step]): sgd_update(param, a @ b, lr, ...)
// without nesterov, in place.
BRONZE_OP_CASES(matmul_sgd_update) {
  c.FreezeId("matmul_sgd_update", 1005);
  const InputSpec lr = Uniform(DType::kF32, {}, 0.01, 0.1);
  const AttrMap ta = {{"transpose_a", Attribute(int64_t{1})}};
  auto add = [&](const std::string& name, std::vector<InputSpec> in, AttrMap attrs) {
    c.Add(ConformanceCase{"matmul_sgd_update", name, std::move(in), std::move(attrs), 1e-4,
                          1e-5});
  };
  // A linear layer's weight gradient dy^T @ x: a = dy (rows, out), b = x (rows, in).
  add("linear weight gradient", {F32({6, 8}), F32({5, 6}), F32({5, 8}), lr}, ta);
  add("weight decay", {F32({4, 3}), F32({4, 5}), F32({5, 3}), lr}, {{"weight_decay", 0.1}});
  add("transposed b", {F32({4, 3}), F32({4, 5}), F32({3, 5}), lr},
      {{"transpose_b", Attribute(int64_t{1})}});
  add("both transposed", {F32({7, 2}), F32({9, 7}), F32({2, 9}), lr},
      {{"transpose_a", Attribute(int64_t{1})}, {"transpose_b", Attribute(int64_t{1})}});
  add("two rows", {F32({2, 40}), F32({9, 2}), F32({9, 40}), lr}, ta);
  add("empty batch: decay only", {F32({3, 4}), F32({0, 3}), F32({0, 4}), lr},
      {{"transpose_a", Attribute(int64_t{1})}, {"weight_decay", 0.5}});
  add("large (several blocks)", {F32({300, 200}), F32({64, 300}), F32({64, 200}), lr},
      {{"transpose_a", Attribute(int64_t{1})}, {"weight_decay", 1e-3}});
  const auto step = [](int64_t lo, int64_t hi) { return Ints(DType::kI64, {}, lo, hi); };
  add("momentum first step", {F32({6, 8}), F32({5, 6}), F32({5, 8}), lr, F32({6, 8}), step(0, 1)},
      {{"transpose_a", Attribute(int64_t{1})}, {"momentum", 0.9}, {"dampening", 0.5}});
  add("momentum later step, decay",
      {F32({6, 8}), F32({5, 6}), F32({5, 8}), lr, F32({6, 8}), step(1, 50)},
      {{"transpose_a", Attribute(int64_t{1})}, {"momentum", 0.9}, {"dampening", 0.1},
       {"weight_decay", 0.01}});
  add("momentum, large", {F32({300, 200}), F32({64, 300}), F32({64, 200}), lr, F32({300, 200}),
      step(2, 9)}, {{"transpose_a", Attribute(int64_t{1})}, {"momentum", 0.8}});
  add("momentum first step, empty batch",
      {F32({3, 4}), F32({0, 3}), F32({0, 4}), lr, F32({3, 4}), step(0, 1)},
      {{"transpose_a", Attribute(int64_t{1})}, {"momentum", 0.5}, {"weight_decay", 0.5}});
  const DType f = DType::kF32;
  const TensorType lr_t = T(f, {});
  auto err = [&](const std::string& name, std::vector<TensorType> in, AttrMap attrs,
                 ErrorCode code, std::vector<std::string> expect) {
    c.Add(ErrorCase{"matmul_sgd_update", name, std::move(in), std::move(attrs), code,
                    std::move(expect)});
  };
  err("product shape", {T(f, {3, 4}), T(f, {4, 5}), T(f, {5, 3}), lr_t}, {}, ErrorCode::kShape,
      {"matmul(a, b) has shape (4, 3)", "param has shape (3, 4)"});
  err("operand dtype", {T(f, {4, 3}), T(DType::kF64, {4, 5}), T(f, {5, 3}), lr_t}, {},
      ErrorCode::kType, {"a has dtype f64", "param has dtype f32"});
  err("batched operand", {T(f, {4, 3}), T(f, {2, 4, 5}), T(f, {5, 3}), lr_t}, {},
      ErrorCode::kShape, {"a must be a matrix", "(2, 4, 5)"});
  err("lr not scalar", {T(f, {4, 3}), T(f, {4, 5}), T(f, {5, 3}), T(f, {1})}, {},
      ErrorCode::kShape, {"lr must be a scalar", "(1,)"});
  err("negative weight decay", {T(f, {4, 3}), T(f, {4, 5}), T(f, {5, 3}), lr_t},
      {{"weight_decay", -1.0}}, ErrorCode::kAttribute, {"weight_decay must be >= 0", "-1"});
  err("momentum without state", {T(f, {4, 3}), T(f, {4, 5}), T(f, {5, 3}), lr_t},
      {{"momentum", 0.9}}, ErrorCode::kGraph, {"expects 6 inputs", "momentum 0.9", "got 4"});
  err("state without momentum",
      {T(f, {4, 3}), T(f, {4, 5}), T(f, {5, 3}), lr_t, T(f, {4, 3}), T(DType::kI64, {})}, {},
      ErrorCode::kGraph, {"expects 4 inputs", "momentum 0", "got 6"});
  err("momentum_buf shape",
      {T(f, {4, 3}), T(f, {4, 5}), T(f, {5, 3}), lr_t, T(f, {12}), T(DType::kI64, {})},
      {{"momentum", 0.5}}, ErrorCode::kShape, {"momentum_buf f32[12]", "f32[4, 3]"});
  err("integer param", {T(DType::kI32, {4, 3}), T(DType::kI32, {4, 5}), T(DType::kI32, {5, 3}),
      lr_t}, {}, ErrorCode::kType, {"param has dtype i32", "f32, f64"});
}

}  // namespace bronze::testing
