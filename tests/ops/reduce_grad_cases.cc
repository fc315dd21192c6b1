// Gradient cases of the reduce family (tests/ops/gradcheck_test.cc runs them): every reduction
// over all axes, one axis with keepdims, several axes, and size-1 dims with a negative axis;
// reduce_prod with one and two zeros (the product is linear in each element, so central
// differences are exact there); softmax and log_softmax along the last, first and middle axes.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

Attribute Axes(std::vector<int64_t> a) { return Attribute(std::move(a)); }

}  // namespace

BRONZE_OP_CASES(reduce_grad) {
  const AttrMap axis1_keep = {{"axes", Axes({1})}, {"keepdims", int64_t{1}}};
  c.Add(GradCase{"reduce_sum", "all axes", {F32({2, 3})}});
  c.Add(GradCase{"reduce_sum", "axis 1 keepdims", {F32({2, 3, 2})}, axis1_keep});
  c.Add(GradCase{"reduce_sum", "size-1 dims, negative axis", {F32({1, 3, 1})},
                 {{"axes", Axes({-2})}}});

  // Distinct inputs keep max and min away from ties (their gradient has a kink there).
  for (const char* op : {"reduce_mean", "reduce_max", "reduce_min", "logsumexp"}) {
    c.Add(GradCase{op, "all axes", {Distinct({2, 3})}});
    c.Add(GradCase{op, "axis 1 keepdims", {Distinct({2, 3, 2})}, axis1_keep});
    c.Add(GradCase{op, "axes 0 and 2", {Distinct({3, 2, 4})}, {{"axes", Axes({0, 2})}}});
    c.Add(GradCase{op, "size-1 dims, negative axis", {Distinct({1, 3, 1})},
                   {{"axes", Axes({-2})}}});
    c.Add(GradCase{op, "only a size-1 axis", {Distinct({2, 1, 3})}, {{"axes", Axes({1})}}});
    c.Add(GradCase{op, "scalar", {Uniform(DType::kF32, {}, 0.5, 1.5)}});
  }

  // Values in [0.5, 1.5] (and negative ones) keep products well scaled.
  auto U = [](Dims dims, double lo, double hi) { return Uniform(DType::kF32, dims, lo, hi); };
  c.Add(GradCase{"reduce_prod", "all axes", {U({2, 3}, 0.5, 1.5)}});
  c.Add(GradCase{"reduce_prod", "axis 1 keepdims", {U({2, 3, 2}, 0.5, 1.5)}, axis1_keep});
  c.Add(GradCase{"reduce_prod", "negative values, axes 0 and 2", {U({3, 2, 4}, -1.5, -0.5)},
                 {{"axes", Axes({0, 2})}}});
  c.Add(GradCase{"reduce_prod", "size-1 dims, negative axis", {U({1, 3, 1}, 0.5, 1.5)},
                 {{"axes", Axes({-2})}}});
  c.Add(GradCase{"reduce_prod", "scalar", {U({}, 0.5, 1.5)}});
  // Row 0: no zero; row 1: one zero; row 2: two zeros; row 3: all zeros.
  Tensor zeros = Tensor::FromVector<float>({4, 3}, {0.5f, -2, 1.5f,  //
                                                    0.7f, 0, -1.2f,  //
                                                    0, 1.3f, 0,      //
                                                    0, 0, 0});
  c.Add(GradCase{"reduce_prod", "zeros in rows", {Given(zeros)}, {{"axes", Axes({1})}}});
  c.Add(GradCase{"reduce_prod", "one zero, all axes",
                 {Given(Tensor::FromVector<float>({2, 3}, {0.9f, 1.1f, -0.8f, 1.2f, 0, 0.6f}))}});

  for (const char* op : {"softmax", "log_softmax"}) {
    c.Add(GradCase{op, "last axis (default)", {F32({3, 5})}});
    c.Add(GradCase{op, "first axis", {F32({4, 3})}, {{"axis", int64_t{0}}}});
    c.Add(GradCase{op, "middle axis", {F32({2, 3, 4})}, {{"axis", int64_t{-2}}}});
    c.Add(GradCase{op, "size-1 dims", {F32({1, 4, 1})}, {{"axis", int64_t{1}}}});
    c.Add(GradCase{op, "size-1 axis", {F32({3, 1})}, {{"axis", int64_t{1}}}});
    c.Add(GradCase{op, "rank 1", {F32({6})}});
  }
}

}  // namespace bronze::testing
