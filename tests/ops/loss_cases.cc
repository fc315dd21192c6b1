// Test cases of the loss ops (graph/ops/loss.cc): cross_entropy and nll over rows, spatial
// (N, C, d...) and unbatched inputs, ignore_index, label smoothing, every reduction, empty and
// large (multi-chunk) inputs, special values; mse, l1 and binary_cross_entropy_with_logits with
// pos_weight; error cases (shapes, dtypes, attributes, out-of-range targets at run time); ids;
// the backward ops cross_entropy_backward and nll_backward.
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }
AttrMap Red(const char* r) { return {{"reduction", Attribute(r)}}; }

void ClassTargetCases(OpCases& c, const std::string& op) {
  const bool ce = op == "cross_entropy";
  const double atol = 1e-5;  // losses near 0 are differences of O(log C) terms in f32
  auto add = [&](std::string name, std::vector<InputSpec> in, AttrMap attrs) {
    c.Add(ConformanceCase{op, std::move(name), std::move(in), std::move(attrs), 1e-5, atol});
  };
  add("rows mean", {F32({8, 5}), Ints(DType::kI64, {8}, 0, 5)}, {});
  add("rows none", {F32({8, 5}), Ints(DType::kI64, {8}, 0, 5)}, Red("none"));
  add("rows sum i32 targets", {F32({9, 17}), Ints(DType::kI32, {9}, 0, 17)}, Red("sum"));
  add("ignore_index -1 mean", {F32({16, 6}), Ints(DType::kI64, {16}, -1, 6)},
      {{"ignore_index", -1}});
  add("ignore_index 2 none", {F32({16, 6}), Ints(DType::kI32, {16}, 0, 6)},
      {{"ignore_index", 2}, {"reduction", "none"}});
  add("all ignored mean is NaN", {F32({4, 3}), Ints(DType::kI64, {4}, -100, -99)}, {});
  add("all ignored sum is 0", {F32({4, 3}), Ints(DType::kI64, {4}, -100, -99)}, Red("sum"));
  add("spatial (N, C, H, W) none", {F32({2, 4, 3, 5}), Ints(DType::kI64, {2, 3, 5}, 0, 4)},
      Red("none"));
  add("spatial (N, C, L) mean with ignore", {F32({3, 5, 37}), Ints(DType::kI64, {3, 37}, -1, 5)},
      {{"ignore_index", -1}});
  add("spatial one position", {F32({3, 4, 1}), Ints(DType::kI64, {3, 1}, 0, 4)}, Red("sum"));
  add("unbatched (C)", {F32({7}), Given(Tensor::Scalar<int64_t>(3))}, Red("none"));
  add("unbatched (C) mean", {F32({7}), Given(Tensor::Scalar<int32_t>(6))}, {});
  add("one class", {F32({4, 1}), Ints(DType::kI64, {4}, 0, 1)}, Red("none"));
  add("empty batch mean is NaN", {F32({0, 5}), Ints(DType::kI64, {0}, 0, 5)}, {});
  add("empty batch sum", {F32({0, 5}), Ints(DType::kI64, {0}, 0, 5)}, Red("sum"));
  add("empty batch none", {F32({0, 5}), Ints(DType::kI64, {0}, 0, 5)}, Red("none"));
  add("empty spatial", {F32({2, 3, 0}), Ints(DType::kI64, {2, 0}, 0, 3)}, Red("none"));
  add("large rows", {F32({256, 1000}), Ints(DType::kI64, {256}, -1, 1000)}, {{"ignore_index", -1}});
  add("large rows none", {F32({300, 777}), Ints(DType::kI32, {300}, 0, 777)}, Red("none"));
  add("many short rows", {F32({50000, 3}), Ints(DType::kI32, {50000}, -1, 3)},
      {{"ignore_index", -1}, {"reduction", "sum"}});
  add("large spatial", {F32({4, 21, 64, 64}), Ints(DType::kI64, {4, 64, 64}, -1, 21)},
      {{"ignore_index", -1}});
  add("large spatial none", {F32({2, 3, 40000}), Ints(DType::kI64, {2, 40000}, 0, 3)}, Red("none"));
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  add("special values",
      {Given(Tensor::FromVector<float>(
           {5, 3}, {0, -inf, 1, nan, 0, 0, inf, 0, 0, 1, 2, 3, -inf, -inf, -inf})),
       Given(Tensor::FromVector<int64_t>({5}, {0, 1, 2, 2, 0}))},
      Red("none"));
  add("large logits",
      {Given(Tensor::FromVector<float>({2, 3}, {1e30f, -1e30f, 0, 80, 90, 100})),
       Given(Tensor::FromVector<int64_t>({2}, {1, 2}))},
      Red("none"));
  if (ce) {
    add("label smoothing 0.1 mean", {F32({12, 7}), Ints(DType::kI64, {12}, -1, 7)},
        {{"label_smoothing", 0.1}, {"ignore_index", -1}});
    add("label smoothing 0.25 none", {F32({12, 7}), Ints(DType::kI64, {12}, 0, 7)},
        {{"label_smoothing", 0.25}, {"reduction", "none"}});
    add("label smoothing 1 sum", {F32({5, 4}), Ints(DType::kI32, {5}, 0, 4)},
        {{"label_smoothing", 1.0}, {"reduction", "sum"}});
    add("label smoothing spatial", {F32({2, 6, 4, 9}), Ints(DType::kI64, {2, 4, 9}, -1, 6)},
        {{"label_smoothing", 0.3}, {"ignore_index", -1}, {"reduction", "none"}});
    add("label smoothing special values",
        {Given(Tensor::FromVector<float>({3, 3}, {0, -inf, 1, nan, 0, 0, 1, 2, 3})),
         Given(Tensor::FromVector<int64_t>({3}, {0, 1, 2}))},
        {{"label_smoothing", 0.2}, {"reduction", "none"}});
    add("large label smoothing", {F32({128, 1024}), Ints(DType::kI64, {128}, 0, 1024)},
        {{"label_smoothing", 0.1}, {"reduction", "sum"}});
  }

  // Errors: shapes, dtypes, attributes, and targets only the kernel can check.
  c.Add(ErrorCase{op,
                  "target shape mismatch",
                  {T(DType::kF32, {4, 5, 2}), T(DType::kI64, {4, 3})},
                  {},
                  ErrorCode::kShape,
                  {"(4, 3)", "(4, 5, 2)", "expected (4, 2)"}});
  c.Add(ErrorCase{op,
                  "batch mismatch",
                  {T(DType::kF32, {Dim::Symbol("N"), 5}), T(DType::kI64, {8})},
                  {},
                  ErrorCode::kShape,
                  {"(8,)", "(N, 5)", "expected (N,)"}});
  c.Add(ErrorCase{op,
                  "float targets",
                  {T(DType::kF32, {4, 5}), T(DType::kF32, {4})},
                  {},
                  ErrorCode::kType,
                  {"target", "f32", "i32, i64"}});
  c.Add(ErrorCase{op,
                  "integer logits",
                  {T(DType::kI32, {4, 5}), T(DType::kI64, {4})},
                  {},
                  ErrorCode::kType,
                  {"input", "i32", "f32, f64"}});
  c.Add(ErrorCase{op,
                  "scalar input",
                  {T(DType::kF32, {}), T(DType::kI64, {})},
                  {},
                  ErrorCode::kShape,
                  {"rank >= 1", "()"}});
  c.Add(ErrorCase{op,
                  "zero classes",
                  {T(DType::kF32, {4, 0}), T(DType::kI64, {4})},
                  {},
                  ErrorCode::kShape,
                  {"(4, 0)", "at least one class"}});
  c.Add(ErrorCase{op,
                  "bad reduction",
                  {T(DType::kF32, {4, 5}), T(DType::kI64, {4})},
                  Red("avg"),
                  ErrorCode::kAttribute,
                  {"reduction", "\"avg\""}});
  c.Add(ErrorCase{op,
                  "target out of range",
                  {T(DType::kF32, {3, 4}), T(DType::kI64, {3})},
                  {},
                  ErrorCode::kInvalidArgument,
                  {"target value 5", "sample 1", "4 classes"},
                  std::vector<Tensor>{Tensor::Zeros(DType::kF32, {3, 4}),
                                      Tensor::FromVector<int64_t>({3}, {0, 5, 7})}});
  c.Add(ErrorCase{op,
                  "negative target not ignored",
                  {T(DType::kF32, {2, 3, 2}), T(DType::kI32, {2, 2})},
                  {{"ignore_index", -1}},
                  ErrorCode::kInvalidArgument,
                  {"target value -2", "sample 3", "3 classes", "ignore_index -1"},
                  std::vector<Tensor>{Tensor::Zeros(DType::kF32, {2, 3, 2}),
                                      Tensor::FromVector<int32_t>({2, 2}, {0, -1, 2, -2})}});
  if (ce) {
    c.Add(ErrorCase{op,
                    "label smoothing above 1",
                    {T(DType::kF32, {4, 5}), T(DType::kI64, {4})},
                    {{"label_smoothing", 1.5}},
                    ErrorCode::kAttribute,
                    {"label_smoothing", "1.5"}});
    c.Add(ErrorCase{op,
                    "negative label smoothing",
                    {T(DType::kF32, {4, 5}), T(DType::kI64, {4})},
                    {{"label_smoothing", -0.1}},
                    ErrorCode::kAttribute,
                    {"label_smoothing", "-0.1"}});
  }
}

void PointwiseErrorCases(OpCases& c, const std::string& op) {
  c.Add(ErrorCase{op,
                  "shape mismatch",
                  {T(DType::kF32, {3, 4}), T(DType::kF32, {3, 1})},
                  {},
                  ErrorCode::kShape,
                  {"(3, 1)", "(3, 4)", "equal shapes"}});
  c.Add(ErrorCase{op,
                  "symbolic shape mismatch",
                  {T(DType::kF32, {Dim::Symbol("N"), 4}), T(DType::kF32, {4})},
                  {},
                  ErrorCode::kShape,
                  {"(4,)", "(N, 4)"}});
  c.Add(ErrorCase{op,
                  "dtype mismatch",
                  {T(DType::kF32, {3}), T(DType::kF64, {3})},
                  {},
                  ErrorCode::kType,
                  {"f64", "f32"}});
  c.Add(ErrorCase{op,
                  "integer input",
                  {T(DType::kI64, {3}), T(DType::kI64, {3})},
                  {},
                  ErrorCode::kType,
                  {"i64", "f32, f64"}});
  c.Add(ErrorCase{op,
                  "bad reduction",
                  {T(DType::kF32, {3}), T(DType::kF32, {3})},
                  Red("max"),
                  ErrorCode::kAttribute,
                  {"reduction", "\"max\""}});
}

// cross_entropy_backward and nll_backward (graph/ops/loss_grad.cc): inputs (grad, input,
// target), grad shaped () for "mean" and "sum" or like the target for "none".
void ClassTargetBackwardCases(OpCases& c, const std::string& op) {
  const bool ce = op == "cross_entropy_backward";
  auto add = [&](std::string name, std::vector<InputSpec> in, AttrMap attrs) {
    c.Add(ConformanceCase{op, std::move(name), std::move(in), std::move(attrs), 1e-5, 1e-6});
  };
  const InputSpec scalar = F32({});
  add("rows mean", {scalar, F32({8, 5}), Ints(DType::kI64, {8}, 0, 5)}, {});
  add("rows none", {F32({8}), F32({8, 5}), Ints(DType::kI64, {8}, 0, 5)}, Red("none"));
  add("rows sum i32 targets", {scalar, F32({9, 17}), Ints(DType::kI32, {9}, 0, 17)}, Red("sum"));
  add("ignore_index -1 mean", {scalar, F32({16, 6}), Ints(DType::kI64, {16}, -1, 6)},
      {{"ignore_index", -1}});
  add("ignore_index 2 none", {F32({16}), F32({16, 6}), Ints(DType::kI32, {16}, 0, 6)},
      {{"ignore_index", 2}, {"reduction", "none"}});
  add("all ignored mean", {scalar, F32({4, 3}), Ints(DType::kI64, {4}, -100, -99)}, {});
  add("spatial (N, C, H, W) none",
      {F32({2, 3, 5}), F32({2, 4, 3, 5}), Ints(DType::kI64, {2, 3, 5}, 0, 4)}, Red("none"));
  add("spatial (N, C, L) mean with ignore",
      {scalar, F32({3, 5, 37}), Ints(DType::kI64, {3, 37}, -1, 5)}, {{"ignore_index", -1}});
  add("spatial one position", {scalar, F32({3, 4, 1}), Ints(DType::kI64, {3, 1}, 0, 4)},
      Red("sum"));
  add("unbatched (C)", {scalar, F32({7}), Given(Tensor::Scalar<int64_t>(3))}, Red("none"));
  add("one class", {F32({4}), F32({4, 1}), Ints(DType::kI64, {4}, 0, 1)}, Red("none"));
  add("empty batch mean", {scalar, F32({0, 5}), Ints(DType::kI64, {0}, 0, 5)}, {});
  add("empty spatial", {F32({2, 0}), F32({2, 3, 0}), Ints(DType::kI64, {2, 0}, 0, 3)},
      Red("none"));
  add("large rows", {scalar, F32({256, 1000}), Ints(DType::kI64, {256}, -1, 1000)},
      {{"ignore_index", -1}});
  add("many short rows none",
      {F32({50000}), F32({50000, 3}), Ints(DType::kI32, {50000}, -1, 3)},
      {{"ignore_index", -1}, {"reduction", "none"}});
  add("large spatial", {scalar, F32({4, 21, 64, 64}), Ints(DType::kI64, {4, 64, 64}, -1, 21)},
      {{"ignore_index", -1}});
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  add("special values",
      {F32({5}),
       Given(Tensor::FromVector<float>(
           {5, 3}, {0, -inf, 1, nan, 0, 0, inf, 0, 0, 1, 2, 3, -inf, -inf, -inf})),
       Given(Tensor::FromVector<int64_t>({5}, {0, 1, 2, 2, 0}))},
      Red("none"));
  add("large logits",
      {scalar, Given(Tensor::FromVector<float>({2, 3}, {1e30f, -1e30f, 0, 80, 90, 100})),
       Given(Tensor::FromVector<int64_t>({2}, {1, 2}))},
      Red("sum"));
  if (ce) {
    add("label smoothing 0.1 mean", {scalar, F32({12, 7}), Ints(DType::kI64, {12}, -1, 7)},
        {{"label_smoothing", 0.1}, {"ignore_index", -1}});
    add("label smoothing 1 none", {F32({5}), F32({5, 4}), Ints(DType::kI32, {5}, 0, 4)},
        {{"label_smoothing", 1.0}, {"reduction", "none"}});
    add("label smoothing spatial",
        {F32({2, 4, 9}), F32({2, 6, 4, 9}), Ints(DType::kI64, {2, 4, 9}, -1, 6)},
        {{"label_smoothing", 0.3}, {"ignore_index", -1}, {"reduction", "none"}});
    add("large label smoothing", {scalar, F32({128, 1024}), Ints(DType::kI64, {128}, 0, 1024)},
        {{"label_smoothing", 0.1}, {"reduction", "sum"}});
  }

  c.Add(ErrorCase{op,
                  "grad not a scalar for mean",
                  {T(DType::kF32, {4}), T(DType::kF32, {4, 5}), T(DType::kI64, {4})},
                  {},
                  ErrorCode::kShape,
                  {"grad shape (4,)", "loss shape ()", "\"mean\"", "(4, 5)"}});
  c.Add(ErrorCase{op,
                  "grad shape for none",
                  {T(DType::kF32, {Dim::Symbol("N")}), T(DType::kF32, {Dim::Symbol("N"), 5, 2}),
                   T(DType::kI64, {Dim::Symbol("N"), 2})},
                  Red("none"),
                  ErrorCode::kShape,
                  {"grad shape (N,)", "loss shape (N, 2)"}});
  c.Add(ErrorCase{op,
                  "grad dtype",
                  {T(DType::kF64, {}), T(DType::kF32, {4, 5}), T(DType::kI64, {4})},
                  {},
                  ErrorCode::kType,
                  {"grad dtype f64", "input dtype f32"}});
  c.Add(ErrorCase{op,
                  "target shape mismatch",
                  {T(DType::kF32, {}), T(DType::kF32, {4, 5, 2}), T(DType::kI64, {4, 3})},
                  {},
                  ErrorCode::kShape,
                  {"(4, 3)", "(4, 5, 2)", "expected (4, 2)"}});
  c.Add(ErrorCase{op,
                  "bad reduction",
                  {T(DType::kF32, {}), T(DType::kF32, {4, 5}), T(DType::kI64, {4})},
                  Red("avg"),
                  ErrorCode::kAttribute,
                  {"reduction", "\"avg\""}});
  c.Add(ErrorCase{op,
                  "target out of range",
                  {T(DType::kF32, {}), T(DType::kF32, {3, 4}), T(DType::kI64, {3})},
                  {},
                  ErrorCode::kInvalidArgument,
                  {"target value 5", "sample 1", "4 classes"},
                  std::vector<Tensor>{Tensor::Scalar<float>(1), Tensor::Zeros(DType::kF32, {3, 4}),
                                      Tensor::FromVector<int64_t>({3}, {0, 5, 7})}});
}

}  // namespace

BRONZE_OP_CASES(loss) {
  c.FreezeId("cross_entropy", 700);
  c.FreezeId("nll", 701);
  c.FreezeId("mse", 702);
  c.FreezeId("l1", 703);
  c.FreezeId("binary_cross_entropy_with_logits", 704);
  c.FreezeId("cross_entropy_backward", 710);
  c.FreezeId("nll_backward", 711);
  ClassTargetCases(c, "cross_entropy");
  ClassTargetCases(c, "nll");
  ClassTargetBackwardCases(c, "cross_entropy_backward");
  ClassTargetBackwardCases(c, "nll_backward");

  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  for (const char* op : {"mse", "l1"}) {
    c.Add(ConformanceCase{op, "mean", {F32({3, 4}), F32({3, 4})}, {}});
    c.Add(ConformanceCase{op, "sum", {F32({5, 7}), F32({5, 7})}, Red("sum")});
    c.Add(ConformanceCase{op, "none", {F32({2, 3, 5}), F32({2, 3, 5})}, Red("none")});
    c.Add(ConformanceCase{op, "scalar", {F32({}), F32({})}, {}});
    c.Add(ConformanceCase{op, "size-1 dims", {F32({1, 6, 1}), F32({1, 6, 1})}, Red("none")});
    c.Add(ConformanceCase{op, "empty mean is NaN", {F32({0, 3}), F32({0, 3})}, {}});
    c.Add(ConformanceCase{op, "empty sum", {F32({0, 3}), F32({0, 3})}, Red("sum")});
    c.Add(ConformanceCase{op, "empty none", {F32({0, 3}), F32({0, 3})}, Red("none")});
    c.Add(ConformanceCase{op, "large odd mean", {F32({100003}), F32({100003})}, {}});
    c.Add(ConformanceCase{op, "large sum", {F32({300, 1001}), F32({300, 1001})}, Red("sum")});
    c.Add(ConformanceCase{op, "large none", {F32({100003}), F32({100003})}, Red("none")});
    c.Add(
        ConformanceCase{op,
                        "special values",
                        {Given(Tensor::FromVector<float>({5}, {nan, inf, -inf, 0.0f, 1e15f})),
                         Given(Tensor::FromVector<float>({5}, {0.0f, 1.0f, 2.0f, -0.0f, -1e15f}))},
                        Red("none")});
    PointwiseErrorCases(c, op);
  }

  const std::string bce = "binary_cross_entropy_with_logits";
  auto targets = [](Dims d) { return Uniform(DType::kF32, std::move(d), 0, 1); };
  auto weights = [](Dims d) { return Uniform(DType::kF32, std::move(d), 0.2, 3); };
  auto add_bce = [&](std::string name, std::vector<InputSpec> in, AttrMap attrs) {
    c.Add(ConformanceCase{bce, std::move(name), std::move(in), std::move(attrs), 1e-5, 1e-5});
  };
  add_bce("mean", {F32({4, 5}), targets({4, 5})}, {});
  add_bce("none", {F32({4, 5}), targets({4, 5})}, Red("none"));
  add_bce("sum 0/1 targets",
          {F32({6, 3}), Given(Tensor::FromVector<float>(
                            {6, 3}, {0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0}))},
          Red("sum"));
  add_bce("scalar", {F32({}), targets({})}, {});
  add_bce("pos_weight", {F32({4, 5}), targets({4, 5}), weights({5})}, Red("none"));
  add_bce("pos_weight (1,)", {F32({3, 4}), targets({3, 4}), weights({1})}, {});
  add_bce("pos_weight rank 3", {F32({2, 3, 7}), targets({2, 3, 7}), weights({7})}, Red("sum"));
  add_bce("pos_weight last dim 1", {F32({9, 1}), targets({9, 1}), weights({1})}, Red("none"));
  add_bce("empty mean is NaN", {F32({0, 4}), targets({0, 4}), weights({4})}, {});
  add_bce("empty none", {F32({0, 4}), targets({0, 4})}, Red("none"));
  add_bce("large mean", {F32({100003}), targets({100003})}, {});
  add_bce("large none", {F32({100003}), targets({100003})}, Red("none"));
  add_bce("large pos_weight short rows", {F32({20000, 7}), targets({20000, 7}), weights({7})},
          Red("sum"));
  add_bce("large pos_weight short rows none", {F32({20000, 7}), targets({20000, 7}), weights({7})},
          Red("none"));
  add_bce("large pos_weight long rows", {F32({80, 1500}), targets({80, 1500}), weights({1500})},
          Red("none"));
  add_bce("large pos_weight long rows mean",
          {F32({80, 1500}), targets({80, 1500}), weights({1500})}, {});
  add_bce("extreme logits",
          {Given(Tensor::FromVector<float>({6}, {100, -100, 1e30f, -1e30f, 30, -30})),
           Given(Tensor::FromVector<float>({6}, {0, 1, 0.5f, 0.5f, 1, 0}))},
          Red("none"));
  add_bce("NaN logit",
          {Given(Tensor::FromVector<float>({3}, {nan, 0, 1})),
           Given(Tensor::FromVector<float>({3}, {1, 0, 1}))},
          Red("none"));
  PointwiseErrorCases(c, bce);
  c.Add(ErrorCase{bce,
                  "pos_weight length",
                  {T(DType::kF32, {4, 5}), T(DType::kF32, {4, 5}), T(DType::kF32, {4})},
                  {},
                  ErrorCode::kShape,
                  {"pos_weight shape (4,)", "last dim 5", "(4, 5)"}});
  c.Add(ErrorCase{bce,
                  "pos_weight rank 2",
                  {T(DType::kF32, {4, 5}), T(DType::kF32, {4, 5}), T(DType::kF32, {1, 5})},
                  {},
                  ErrorCode::kShape,
                  {"pos_weight shape (1, 5)", "(C,)"}});
  c.Add(ErrorCase{bce,
                  "pos_weight dtype",
                  {T(DType::kF32, {4, 5}), T(DType::kF32, {4, 5}), T(DType::kF64, {5})},
                  {},
                  ErrorCode::kType,
                  {"pos_weight", "f64", "f32"}});
  c.Add(ErrorCase{bce,
                  "pos_weight on a scalar",
                  {T(DType::kF32, {}), T(DType::kF32, {}), T(DType::kF32, {1})},
                  {},
                  ErrorCode::kShape,
                  {"rank >= 1", "()"}});
}

}  // namespace bronze::testing
