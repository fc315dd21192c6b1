// Gradient cases of the elementwise (binary) family: plain, broadcasting and size-1 dims for
// each differentiable op (tests/ops/gradcheck_test.cc runs them), plus pow with a negative base
// and integer exponents, and where with every operand broadcast. Inputs avoid the singular
// points (a zero divisor, a non-positive base with a real exponent) and ties of maximum and
// minimum (independent uniform draws); ties are tested in tests/ops/unary_grad_test.cc.
#include "tests/ops/op_cases.h"

namespace bronze::testing {

BRONZE_OP_CASES(elementwise_grad) {
  for (const char* op : {"add", "sub", "mul"}) {
    c.Add(GradCase{op, "plain", {F32({2, 3}), F32({2, 3})}});
    c.Add(GradCase{op, "broadcast", {F32({4, 1, 3}), F32({2, 1})}});
    c.Add(GradCase{op, "size-1 dims", {F32({1, 3, 1}), F32({1})}});
  }

  c.Add(GradCase{"div", "plain", {F32({2, 3}), Uniform(DType::kF32, {2, 3}, 0.5, 2)}});
  c.Add(GradCase{"div", "broadcast", {F32({4, 1, 3}), Uniform(DType::kF32, {2, 1}, -2, -0.5)}});
  c.Add(GradCase{"div", "size-1 dims", {F32({1, 3, 1}), Uniform(DType::kF32, {1}, 0.5, 2)}});
  c.Add(GradCase{
      "div", "broadcast divisor rows", {F32({3}), Uniform(DType::kF32, {2, 1}, 0.5, 2)}});

  c.Add(GradCase{"pow", "plain", {Uniform(DType::kF32, {2, 3}, 0.5, 2), F32({2, 3})}});
  c.Add(GradCase{"pow",
                 "broadcast",
                 {Uniform(DType::kF32, {4, 1, 3}, 0.5, 2), Uniform(DType::kF32, {2, 1}, -2, 3)}});
  c.Add(GradCase{"pow",
                 "size-1 dims",
                 {Uniform(DType::kF32, {1, 3, 1}, 0.5, 2), Uniform(DType::kF32, {1}, -1, 2)}});
  // A negative base is defined for integer exponents; the exponent's gradient (ln of a negative
  // number) is NaN there, so only the base is checked.
  c.Add(GradCase{"pow",
                 "negative base, integer exponents",
                 {Uniform(DType::kF32, {2, 3}, -2, -0.5),
                  Given(Tensor::FromVector<float>({3}, {2.0f, 3.0f, -1.0f}))},
                 {},
                 {0}});

  for (const char* op : {"maximum", "minimum"}) {
    c.Add(GradCase{op, "plain", {Uniform(DType::kF32, {2, 3}, -1, 1), F32({2, 3})}});
    c.Add(GradCase{op, "broadcast", {Uniform(DType::kF32, {4, 1, 3}, -1, 1), F32({2, 1})}});
    c.Add(GradCase{op, "size-1 dims", {Uniform(DType::kF32, {1, 3, 1}, -1, 1), F32({1})}});
  }

  c.Add(GradCase{"where", "plain", {Bools({2, 3}), F32({2, 3}), F32({2, 3})}});
  c.Add(GradCase{"where", "broadcast", {Bools({2, 1, 3}), F32({4, 1}), F32({3})}});
  c.Add(GradCase{"where", "size-1 dims", {Bools({1, 3, 1}), F32({1, 1, 1}), F32({1, 3, 2})}});
  c.Add(GradCase{"where", "broadcast condition", {Bools({3}), F32({2, 3}), F32({2, 3})}});
}

}  // namespace bronze::testing
