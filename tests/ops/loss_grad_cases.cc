// Gradient cases of the loss family (tests/ops/gradcheck_test.cc runs them): every reduction,
// ignore_index (fixed targets, so some but not all samples are ignored), label smoothing,
// spatial (N, C, d...) and unbatched inputs and size-1 dims for cross_entropy and nll; mse, l1
// and binary_cross_entropy_with_logits with the gradient to the target (and pos_weight) too.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

AttrMap Red(const char* r) { return {{"reduction", Attribute(r)}}; }
Tensor I64(Dims dims, std::vector<int64_t> v) { return Tensor::FromVector<int64_t>(dims, v); }

void ClassTargetGradCases(OpCases& c, const std::string& op) {
  c.Add(GradCase{op, "plain", {F32({4, 5}), Ints(DType::kI64, {4}, 0, 5)}});
  c.Add(GradCase{op, "sum i32 targets", {F32({3, 6}), Ints(DType::kI32, {3}, 0, 6)}, Red("sum")});
  c.Add(GradCase{op, "none", {F32({3, 4}), Ints(DType::kI64, {3}, 0, 4)}, Red("none")});
  c.Add(GradCase{op,
                 "ignore_index mean",
                 {F32({5, 3}), Given(I64({5}, {2, -1, 0, -1, 1}))},
                 {{"ignore_index", -1}}});
  c.Add(GradCase{op,
                 "ignore_index none",
                 {F32({4, 3}), Given(I64({4}, {1, 2, 1, 0}))},
                 {{"ignore_index", 1}, {"reduction", "none"}}});
  c.Add(GradCase{op,
                 "spatial (N, C, H, W) mean with ignore",
                 {F32({2, 3, 2, 2}), Given(I64({2, 2, 2}, {0, 2, -100, 1, 1, -100, 2, 0}))}});
  c.Add(GradCase{op,
                 "spatial (N, C, L) none",
                 {F32({2, 4, 3}), Ints(DType::kI64, {2, 3}, 0, 4)},
                 Red("none")});
  c.Add(GradCase{op, "unbatched (C)", {F32({5}), Given(Tensor::Scalar<int64_t>(3))}});
  c.Add(GradCase{op, "size-1 dims", {F32({1, 3, 1}), Ints(DType::kI64, {1, 1}, 0, 3)}});
  c.Add(GradCase{op, "one class", {F32({3, 1}), Ints(DType::kI64, {3}, 0, 1)}, Red("sum")});
}

}  // namespace

BRONZE_OP_CASES(loss_grad) {
  ClassTargetGradCases(c, "cross_entropy");
  ClassTargetGradCases(c, "nll");
  const std::string ce = "cross_entropy";
  c.Add(GradCase{ce,
                 "label smoothing 0.2 mean with ignore",
                 {F32({5, 4}), Given(I64({5}, {3, -1, 0, 1, -1}))},
                 {{"label_smoothing", 0.2}, {"ignore_index", -1}}});
  c.Add(GradCase{ce,
                 "label smoothing 1 none",
                 {F32({3, 4}), Ints(DType::kI64, {3}, 0, 4)},
                 {{"label_smoothing", 1.0}, {"reduction", "none"}}});
  c.Add(GradCase{ce,
                 "label smoothing spatial sum",
                 {F32({2, 3, 4}), Given(I64({2, 4}, {0, 1, 2, -100, 2, 2, 0, 1}))},
                 {{"label_smoothing", 0.3}, {"reduction", "sum"}}});

  for (const char* op : {"mse", "l1"}) {
    c.Add(GradCase{op, "plain", {F32({3, 4}), F32({3, 4})}});
    c.Add(GradCase{op, "sum", {F32({2, 5}), F32({2, 5})}, Red("sum")});
    c.Add(GradCase{op, "none", {F32({2, 3}), F32({2, 3})}, Red("none")});
    c.Add(GradCase{op, "size-1 dims", {F32({1, 4, 1}), F32({1, 4, 1})}});
    c.Add(GradCase{op, "scalar", {F32({}), F32({})}});
  }

  const std::string bce = "binary_cross_entropy_with_logits";
  auto targets = [](Dims d) { return Uniform(DType::kF32, std::move(d), 0, 1); };
  auto weights = [](Dims d) { return Uniform(DType::kF32, std::move(d), 0.2, 3); };
  c.Add(GradCase{bce, "plain", {F32({3, 4}), targets({3, 4})}});
  c.Add(GradCase{bce, "none", {F32({2, 3}), targets({2, 3})}, Red("none")});
  c.Add(GradCase{bce, "pos_weight", {F32({3, 4}), targets({3, 4}), weights({4})}});
  c.Add(GradCase{bce, "pos_weight none rank 3", {F32({2, 2, 3}), targets({2, 2, 3}), weights({3})},
                 Red("none")});
  c.Add(GradCase{bce, "pos_weight (1,) sum", {F32({2, 5}), targets({2, 5}), weights({1})},
                 Red("sum")});
  c.Add(GradCase{bce, "size-1 dims", {F32({1, 3, 1}), targets({1, 3, 1}), weights({1})}});
  c.Add(GradCase{bce, "scalar", {F32({}), targets({})}});
  c.Add(GradCase{bce,
                 "large logits",
                 {Given(Tensor::FromVector<float>({4}, {8, -9, 12.5f, -15})), targets({4}),
                  weights({4})},
                 Red("sum")});
}

}  // namespace bronze::testing
