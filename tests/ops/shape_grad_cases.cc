// Gradient cases of the shape family (tests/ops/gradcheck_test.cc runs them): plain inputs,
// negative axes and attribute variants, size-1 dims, and the modes of each op (split outputs
// without a gradient, slice steps and clamping, constant/reflect pads, repeated indices).
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

Attribute Ints64(std::vector<int64_t> a) { return Attribute(std::move(a)); }

void ViewGradCases(OpCases& c) {
  c.Add(GradCase{"reshape", "plain", {F32({2, 3, 4})}, {{"shape", Shape{4, -1}}}});
  c.Add(GradCase{"reshape", "to scalar", {F32({1, 1})}, {{"shape", Shape{}}}});
  c.Add(GradCase{"reshape", "size-1 dims", {F32({1, 3, 1, 2})}, {{"shape", Shape{3, 1, 2}}}});

  c.Add(GradCase{"flatten", "plain", {F32({2, 3, 4})}, {}});
  c.Add(GradCase{"flatten", "from dim 1", {F32({2, 3, 2, 2})}, {{"start_dim", 1}}});
  c.Add(GradCase{"flatten", "size-1 dims", {F32({1, 3, 1})}, {{"start_dim", -2}}});
  c.Add(GradCase{"flatten", "scalar", {F32({})}, {}});

  c.Add(GradCase{"transpose", "plain", {F32({2, 3, 4})}, {}});
  c.Add(GradCase{"transpose", "perm", {F32({2, 3, 4})}, {{"perm", Ints64({1, -1, 0})}}});
  c.Add(GradCase{"transpose", "size-1 dims", {F32({1, 3, 1, 2})}, {{"perm", Ints64({3, 0, 2, 1})}}});
  c.Add(GradCase{"transpose", "identity", {F32({2, 3})}, {{"perm", Ints64({0, 1})}}});

  c.Add(GradCase{"squeeze", "plain", {F32({1, 3, 1, 2})}, {}});
  c.Add(GradCase{"squeeze", "listed non-1 axis", {F32({2, 1, 3})}, {{"axes", Ints64({0, -2})}}});
  c.Add(GradCase{"squeeze", "size-1 dims to scalar", {F32({1, 1})}, {}});
  c.Add(GradCase{"squeeze", "scalar", {F32({})}, {{"axes", Ints64({0})}}});

  c.Add(GradCase{"unsqueeze", "plain", {F32({2, 3})}, {{"axes", Ints64({0})}}});
  c.Add(GradCase{"unsqueeze", "negative axes", {F32({2, 3})}, {{"axes", Ints64({-1, 1})}}});
  c.Add(GradCase{"unsqueeze", "size-1 dims", {F32({1, 2, 1})}, {{"axes", Ints64({0, 3})}}});
  c.Add(GradCase{"unsqueeze", "scalar", {F32({})}, {{"axes", Ints64({0, 1})}}});

  c.Add(GradCase{"expand", "broadcast", {F32({3, 1})}, {{"shape", Shape{2, 3, 4}}}});
  c.Add(GradCase{"expand", "keep dims with -1", {F32({1, 3})}, {{"shape", Shape{4, -1}}}});
  c.Add(GradCase{"expand", "size-1 dims", {F32({1, 1})}, {{"shape", Shape{1, 5}}}});
  c.Add(GradCase{"expand", "no-op", {F32({2, 3})}, {{"shape", Shape{2, 3}}}});
}

void JoinGradCases(OpCases& c) {
  c.Add(GradCase{"concat", "plain", {F32({2, 3}), F32({2, 2})}, {{"axis", 1}}});
  c.Add(GradCase{"concat", "three inputs, negative axis", {F32({1, 2, 2}), F32({3, 2, 2}), F32({2, 2, 2})},
                 {{"axis", -3}}});
  c.Add(GradCase{"concat", "size-1 dims", {F32({1, 3}), F32({1, 3})}, {{"axis", -2}}});
  c.Add(GradCase{"concat", "one input", {F32({2, 3})}, {{"axis", 1}}});
  c.Add(GradCase{"concat", "with an empty input", {F32({2, 3}), F32({0, 3}), F32({1, 3})}, {}});

  c.Add(GradCase{"split", "plain", {F32({5, 3})}, {{"sizes", Ints64({2, 3})}}});
  c.Add(GradCase{"split", "negative axis", {F32({2, 4})}, {{"axis", -1}, {"sizes", Ints64({1, 1, 2})}}});
  c.Add(GradCase{"split", "only some outputs in the loss", {F32({2, 5})},
                 {{"axis", 1}, {"sizes", Ints64({2, 1, 2})}}, {}, {0, 2}});
  c.Add(GradCase{"split", "size-1 dims", {F32({1, 3})}, {{"sizes", Ints64({1})}}});
  c.Add(GradCase{"split", "empty piece", {F32({3, 2})}, {{"sizes", Ints64({0, 3})}}});

  c.Add(GradCase{"stack", "plain", {F32({2, 3}), F32({2, 3})}, {}});
  c.Add(GradCase{"stack", "negative axis, three inputs", {F32({2, 3}), F32({2, 3}), F32({2, 3})},
                 {{"axis", -1}}});
  c.Add(GradCase{"stack", "size-1 dims", {F32({1, 1}), F32({1, 1})}, {{"axis", 1}}});
  c.Add(GradCase{"stack", "scalars", {F32({}), F32({})}, {}});
}

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

AttrMap Slice(std::vector<int64_t> starts, std::vector<int64_t> stops, std::vector<int64_t> axes,
              std::vector<int64_t> steps) {
  return AttrMap{{"starts", Ints64(std::move(starts))}, {"stops", Ints64(std::move(stops))},
                 {"axes", Ints64(std::move(axes))}, {"steps", Ints64(std::move(steps))}};
}

AttrMap Pad(std::vector<int64_t> pads, const char* mode, double value = 0.0) {
  return AttrMap{{"pads", Ints64(std::move(pads))}, {"mode", mode}, {"value", value}};
}

void CutGradCases(OpCases& c) {
  c.Add(GradCase{"slice", "plain", {F32({4, 5})}, Slice({1, 0}, {3, 4}, {}, {})});
  c.Add(GradCase{"slice", "steps, negative steps", {F32({6, 5})}, Slice({-1, 4}, {kMin, 0}, {0, 1}, {-2, -3})});
  c.Add(GradCase{"slice", "clamped bounds, step 3", {F32({3, 10})}, Slice({-100, 1}, {100, kMax}, {}, {1, 3})});
  c.Add(GradCase{"slice", "size-1 dims", {F32({1, 4, 1})}, Slice({0, 1}, {1, -1}, {-1, 1}, {})});
  c.Add(GradCase{"slice", "reversed axis", {F32({3, 4})}, Slice({-1}, {kMin}, {1}, {-1})});
  c.Add(GradCase{"slice", "empty result", {F32({3, 4})}, Slice({2}, {1}, {0}, {})});

  c.Add(GradCase{"pad", "constant", {F32({2, 3})}, Pad({1, 2}, "constant", 1.5)});
  c.Add(GradCase{"pad", "constant, negative pads crop", {F32({3, 4})}, Pad({-1, 1, 1, -2}, "constant")});
  c.Add(GradCase{"pad", "constant, size-1 dims", {F32({1, 3, 1})}, Pad({1, 1, 0, 0, 2, 0}, "constant")});
  c.Add(GradCase{"pad", "reflect", {F32({2, 5})}, Pad({3, 4}, "reflect")});
  c.Add(GradCase{"pad", "reflect two dims", {F32({2, 3, 4})}, Pad({2, 1, 1, 2}, "reflect")});
  c.Add(GradCase{"pad", "reflect, size-1 dims", {F32({1, 4, 1})}, Pad({0, 0, 3, 2}, "reflect")});
  c.Add(GradCase{"pad", "no pads", {F32({2, 3})}, Pad({0, 0}, "reflect")});
}

void IndexGradCases(OpCases& c) {
  const Tensor repeated = Tensor::FromVector<int64_t>({6}, {1, 3, 1, 1, 0, 3});
  c.Add(GradCase{"gather", "plain", {F32({5, 3}), Ints(DType::kI64, {4}, 0, 5)}});
  c.Add(GradCase{"gather", "repeated indices", {F32({4, 3}), Given(repeated)}});
  c.Add(GradCase{"gather", "negative axis and indices, i32", {F32({2, 3, 5}), Ints(DType::kI32, {2, 3}, -5, 5)},
                 {{"axis", -1}}});
  c.Add(GradCase{"gather", "size-1 dims", {F32({1, 4, 1}), Ints(DType::kI64, {1, 3}, 0, 4)}, {{"axis", 1}}});
  c.Add(GradCase{"gather", "scalar index", {F32({4, 3}), Given(Tensor::Scalar<int64_t>(-2))}, {{"axis", 0}}});

  c.Add(GradCase{"embedding", "plain", {F32({6, 3}), Ints(DType::kI64, {5}, 0, 6)}});
  c.Add(GradCase{"embedding", "2-D i32 indices", {F32({4, 2}), Ints(DType::kI32, {2, 3}, 0, 4)}});
  c.Add(GradCase{"embedding", "repeated indices", {F32({4, 3}), Given(repeated)}});
  c.Add(GradCase{"embedding", "size-1 dims", {F32({1, 1}), Ints(DType::kI64, {3, 1}, 0, 1)}});
  // padding_idx on a row the indices never read (a read row gets no gradient, unlike central
  // differences: tests/ops/shape_grad_test.cc checks that rule).
  c.Add(GradCase{"embedding", "padding_idx unread", {F32({5, 2}), Given(Tensor::FromVector<int64_t>({3}, {0, 2, 0}))},
                 {{"padding_idx", 4}}});
}

}  // namespace

BRONZE_OP_CASES(shape_grad) {
  ViewGradCases(c);
  JoinGradCases(c);
  CutGradCases(c);
  IndexGradCases(c);
}

}  // namespace bronze::testing
