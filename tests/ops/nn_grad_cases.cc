// Gradient cases of the nn family (tests/ops/gradcheck_test.cc runs them): pooling (plain,
// overlapping windows with stride and padding, ceil_mode, dilation, size-1 dims), batch_norm
// (2-D and 4-D, training and inference, size-1 spatial dims; gradients to x, weight, bias of y
// only), layer_norm (1 and 2 normalized dims, with and without weight and bias, size-1 dims)
// and scaled_dot_product_attention (plain, causal, bool and float masks, size-1 batch/heads).
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

Attribute IV(std::vector<int64_t> v) { return Attribute(std::move(v)); }

AttrMap Pool(std::vector<int64_t> k, std::vector<int64_t> s = {}, std::vector<int64_t> p = {}) {
  AttrMap a{{"kernel_size", IV(std::move(k))}};
  if (!s.empty()) a["stride"] = IV(std::move(s));
  if (!p.empty()) a["padding"] = IV(std::move(p));
  return a;
}
AttrMap With(AttrMap a, const std::string& name, Attribute v) {
  a[name] = std::move(v);
  return a;
}

void PoolGradCases(OpCases& c) {
  // Distinct inputs: no ties inside a window, so max_pool2d is smooth at the test point.
  const char* mp = "max_pool2d";
  c.Add(GradCase{mp, "plain", {Distinct({2, 2, 4, 4})}, Pool({2})});
  c.Add(GradCase{mp, "overlap stride 2 padding 1", {Distinct({1, 2, 5, 6})}, Pool({3}, {2}, {1})});
  c.Add(GradCase{mp, "stride 1 overlap", {Distinct({1, 2, 4, 5})}, Pool({2, 3}, {1})});
  c.Add(GradCase{mp, "ceil_mode", {Distinct({1, 2, 5, 5})}, With(Pool({2}), "ceil_mode", 1)});
  c.Add(GradCase{mp, "dilation", {Distinct({1, 1, 7, 7})},
                 With(Pool({3}, {1}, {1}), "dilation", IV({2}))});
  c.Add(GradCase{mp, "size-1 dims", {Distinct({1, 1, 1, 1})}, Pool({1})});
  c.Add(GradCase{mp, "unbatched", {Distinct({2, 3, 4})}, Pool({2}, {1})});

  const char* ap = "avg_pool2d";
  c.Add(GradCase{ap, "plain", {F32({2, 2, 4, 4})}, Pool({2})});
  for (int cip : {1, 0}) {
    const std::string tag = cip ? " count pad" : " no pad count";
    c.Add(GradCase{ap, "overlap stride 2 padding 1" + tag, {F32({1, 2, 5, 6})},
                   With(Pool({3}, {2}, {1}), "count_include_pad", cip)});
    c.Add(GradCase{ap, "ceil_mode with padding" + tag, {F32({1, 2, 6, 7})},
                   With(With(Pool({3}, {2}, {1}), "ceil_mode", 1), "count_include_pad", cip)});
  }
  c.Add(GradCase{ap, "ceil_mode", {F32({1, 2, 5, 5})}, With(Pool({2}), "ceil_mode", 1)});
  c.Add(GradCase{ap, "size-1 dims", {F32({1, 1, 1, 1})}, Pool({1})});
  c.Add(GradCase{ap, "unbatched", {F32({2, 3, 4})}, Pool({2}, {1})});

  const char* ad = "adaptive_avg_pool2d";
  auto size = [](std::vector<int64_t> s) { return AttrMap{{"output_size", IV(std::move(s))}}; };
  c.Add(GradCase{ad, "plain", {F32({2, 2, 6, 6})}, size({3})});
  c.Add(GradCase{ad, "overlapping windows", {F32({1, 2, 5, 7})}, size({3, 4})});
  c.Add(GradCase{ad, "output larger than input", {F32({1, 1, 3, 3})}, size({4, 5})});
  c.Add(GradCase{ad, "global", {F32({2, 3, 3, 4})}, size({1})});
  c.Add(GradCase{ad, "size-1 dims", {F32({1, 1, 1, 1})}, size({1})});
  c.Add(GradCase{ad, "unbatched", {F32({2, 5, 5})}, size({2})});
}

// x, weight, bias, running_mean and a positive running_var.
std::vector<InputSpec> BnInputs(Dims x, int64_t ch) {
  return {F32(std::move(x)), F32({ch}), F32({ch}), F32({ch}),
          Uniform(DType::kF32, {ch}, 0.5, 2.0)};
}

void NormGradCases(OpCases& c) {
  const char* bn = "batch_norm";
  for (int training : {1, 0}) {
    const std::string tag = training ? " training" : " inference";
    const AttrMap a{{"training", training}};
    c.Add(GradCase{bn, "2-D (N, C)" + tag, BnInputs({4, 3}, 3), a, {0, 1, 2}, {0}});
    c.Add(GradCase{bn, "4-D (N, C, H, W)" + tag, BnInputs({3, 2, 3, 4}, 2), a, {0, 1, 2}, {0}});
    c.Add(GradCase{bn, "size-1 spatial dims" + tag, BnInputs({4, 3, 1, 1}, 3), a, {0, 1, 2},
                   {0}});
    c.Add(GradCase{bn, "3-D (N, C, L)" + tag, BnInputs({2, 3, 5}, 3),
                   {{"training", training}, {"momentum", 0.3}, {"eps", 1e-3}}, {0, 1, 2}, {0}});
  }
  c.Add(GradCase{bn, "two values per channel training", BnInputs({2, 3}, 3), {{"training", 1}},
                 {0, 1, 2}, {0}});

  const char* ln = "layer_norm";
  c.Add(GradCase{ln, "normalized_ndim 1", {F32({3, 5}), F32({5}), F32({5})}});
  c.Add(GradCase{ln, "normalized_ndim 2", {F32({2, 3, 4}), F32({3, 4}), F32({3, 4})},
                 {{"normalized_ndim", 2}}});
  c.Add(GradCase{ln, "no affine", {F32({4, 6})}});
  c.Add(GradCase{ln, "weight only", {F32({3, 5}), F32({5})}, {{"eps", 1e-3}}});
  c.Add(GradCase{ln, "size-1 dims", {F32({1, 3, 1, 4}), F32({1, 4}), F32({1, 4})},
                 {{"normalized_ndim", 2}}});
  c.Add(GradCase{ln, "size-1 rows", {F32({3, 1}), F32({1}), F32({1})}});
  c.Add(GradCase{ln, "all dims normalized", {F32({3, 4}), F32({3, 4}), F32({3, 4})},
                 {{"normalized_ndim", 2}}});
}

std::vector<InputSpec> Qkv(Dims q, Dims k, Dims v) { return {F32(q), F32(k), F32(v)}; }
std::vector<InputSpec> Qkv(Dims q, Dims k, Dims v, InputSpec mask) {
  return {F32(q), F32(k), F32(v), std::move(mask)};
}

// A (2, 3, 5) bool mask whose row 1 of batch 0 sees nothing (the forward gives 0 there).
Tensor MaskWithEmptyRow() {
  std::vector<bool> v(30);
  for (size_t i = 0; i < v.size(); ++i) v[i] = (i * 7) % 3 != 0;
  for (size_t j = 0; j < 5; ++j) v[5 + j] = false;
  return Tensor::FromVector<bool>({2, 3, 5}, v);
}

void AttentionGradCases(OpCases& c) {
  const char* op = "scaled_dot_product_attention";
  const std::vector<int> qkv = {0, 1, 2};
  const AttrMap causal{{"causal", 1}};
  c.Add(GradCase{op, "plain", Qkv({2, 3, 4}, {2, 5, 4}, {2, 5, 3}), {}, qkv});
  c.Add(GradCase{op, "no batch dims, explicit scale", Qkv({3, 4}, {4, 4}, {4, 2}),
                 {{"scale", 0.7}}, qkv});
  c.Add(GradCase{op, "causal", Qkv({2, 4, 3}, {2, 4, 3}, {2, 4, 2}), causal, qkv});
  c.Add(GradCase{op, "causal more queries", Qkv({5, 3}, {3, 3}, {3, 2}), causal, qkv});
  // Random bools: some rows may be fully masked (output 0, gradient 0).
  c.Add(GradCase{op, "bool mask", Qkv({2, 3, 4}, {2, 5, 4}, {2, 5, 3}, Bools({2, 3, 5})), {},
                 qkv});
  c.Add(GradCase{op, "fully masked row", Qkv({2, 3, 4}, {2, 5, 4}, {2, 5, 3},
                                             Given(MaskWithEmptyRow())), {}, qkv});
  c.Add(GradCase{op, "float mask broadcast", Qkv({2, 3, 4}, {2, 5, 4}, {2, 5, 3}, F32({3, 5})),
                 {}, qkv});
  c.Add(GradCase{op, "causal and bool mask", Qkv({4, 3}, {4, 3}, {4, 2}, Bools({4, 4})), causal,
                 qkv});
  c.Add(GradCase{op, "batch and heads size 1", Qkv({1, 1, 3, 4}, {1, 1, 5, 4}, {1, 1, 5, 2}), {},
                 qkv});
  c.Add(GradCase{op, "batch broadcast", Qkv({2, 3, 3, 4}, {3, 5, 4}, {1, 3, 5, 2}), {}, qkv});
}

}  // namespace

BRONZE_OP_CASES(nn_grad) {
  PoolGradCases(c);
  NormGradCases(c);
  AttentionGradCases(c);
}

}  // namespace bronze::testing
