// Gradient cases of the unary family (tests/ops/gradcheck_test.cc runs them): plain, scalar and
// size-1 dims for each differentiable op, plus each op's modes (gelu's two forms, leaky_relu
// slopes, clip with one or two bounds, ...). Inputs stay inside each op's domain (positive for
// log, sqrt, rsqrt) and away from the kinks of relu, abs, leaky_relu and clip (uniform random
// values: a value within eps of a kink is vanishingly unlikely); the kinks themselves are
// tested with hand-derived values in tests/ops/unary_grad_test.cc.
#include "tests/ops/op_cases.h"

namespace bronze::testing {

BRONZE_OP_CASES(unary_grad) {
  // Ops on the whole real line (normal inputs).
  for (const char* op : {"neg", "exp", "sin", "cos", "tanh", "sigmoid", "silu", "erf"}) {
    c.Add(GradCase{op, "plain", {F32({2, 3})}});
    c.Add(GradCase{op, "scalar", {F32({})}});
    c.Add(GradCase{op, "size-1 dims", {F32({1, 3, 1})}});
  }
  c.Add(GradCase{"exp", "wide range", {Uniform(DType::kF32, {7}, -5, 5)}});
  c.Add(GradCase{"tanh", "saturating", {Uniform(DType::kF32, {7}, -6, 6)}});
  c.Add(GradCase{"sigmoid", "tails", {Uniform(DType::kF32, {7}, -12, 12)}});
  c.Add(GradCase{"silu", "tails", {Uniform(DType::kF32, {7}, -12, 12)}});
  c.Add(GradCase{"erf", "tails", {Uniform(DType::kF32, {7}, -3, 3)}});

  // Positive domain.
  for (const char* op : {"log", "sqrt", "rsqrt", "reciprocal"}) {
    c.Add(GradCase{op, "plain", {Uniform(DType::kF32, {2, 3}, 0.5, 2)}});
    c.Add(GradCase{op, "scalar", {Uniform(DType::kF32, {}, 0.5, 2)}});
    c.Add(GradCase{op, "size-1 dims", {Uniform(DType::kF32, {1, 3, 1}, 0.5, 2)}});
  }
  c.Add(GradCase{"reciprocal", "negative", {Uniform(DType::kF32, {2, 3}, -2, -0.5)}});

  // Kinks at 0 (and at the clip bounds): uniform inputs.
  for (const char* op : {"relu", "abs", "leaky_relu"}) {
    c.Add(GradCase{op, "plain", {Uniform(DType::kF32, {2, 3}, -1, 1)}});
    c.Add(GradCase{op, "scalar", {Uniform(DType::kF32, {}, -1, 1)}});
    c.Add(GradCase{op, "size-1 dims", {Uniform(DType::kF32, {1, 4, 1}, -1, 1)}});
  }
  c.Add(GradCase{"relu", "mostly negative", {Uniform(DType::kF32, {9}, -2, 0.5)}});
  c.Add(GradCase{
      "leaky_relu", "slope 0.2", {Uniform(DType::kF32, {3, 3}, -1, 1)}, {{"negative_slope", 0.2}}});
  c.Add(GradCase{"leaky_relu",
                 "negative slope",
                 {Uniform(DType::kF32, {3, 3}, -1, 1)},
                 {{"negative_slope", -1.5}}});

  for (const char* form : {"none", "tanh"}) {
    const std::string f = form;
    const AttrMap a{{"approximate", form}};
    c.Add(GradCase{"gelu", "plain, " + f, {F32({2, 3})}, a});
    c.Add(GradCase{"gelu", "scalar, " + f, {F32({})}, a});
    c.Add(GradCase{"gelu", "size-1 dims, " + f, {F32({1, 3, 1})}, a});
    c.Add(GradCase{"gelu", "tails, " + f, {Uniform(DType::kF32, {8}, -6, 6)}, a});
  }

  const AttrMap unit{{"min", -0.5}, {"max", 0.5}};
  c.Add(GradCase{"clip", "plain", {Uniform(DType::kF32, {2, 4}, -1, 1)}, unit});
  c.Add(GradCase{"clip", "scalar", {Uniform(DType::kF32, {}, -1, 1)}, unit});
  c.Add(GradCase{"clip", "size-1 dims", {Uniform(DType::kF32, {1, 5, 1}, -1, 1)}, unit});
  c.Add(GradCase{"clip", "min only", {Uniform(DType::kF32, {8}, -1, 1)}, {{"min", 0.1}}});
  c.Add(GradCase{"clip", "max only", {Uniform(DType::kF32, {8}, -1, 1)}, {{"max", -0.1}}});
  c.Add(GradCase{
      "clip", "min above max", {Uniform(DType::kF32, {6}, -2, 2)}, {{"min", 1.0}, {"max", -1.0}}});

  // The harness runs in f64, so only f64 -> f64 is checked numerically here; f32 <-> f64 and
  // integer casts are in tests/ops/unary_grad_test.cc.
  const AttrMap to_f64{{"dtype", DType::kF64}};
  c.Add(GradCase{"cast", "plain", {F32({2, 3})}, to_f64});
  c.Add(GradCase{"cast", "scalar", {F32({})}, to_f64});
  c.Add(GradCase{"cast", "size-1 dims", {F32({1, 3, 1})}, to_f64});
}

}  // namespace bronze::testing
