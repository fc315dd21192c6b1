// Test cases of the optimizer family (graph/ops/optimizer.cc): assign over dtypes and shapes;
// each update (sgd, adam, adamw, rmsprop, adagrad) in every state layout its attributes select
// (momentum, first step, nesterov, weight decay, amsgrad, centered), scalar, empty and large
// (multi-threaded) parameters; error cases (arity against the attributes, dtypes, shapes,
// attribute values); frozen ids. The conformance harness runs these ops with fresh outputs
// (RunKernel) and through a Session whose in-place targets are `state` nodes
// (tests/ops/conformance_test.cc); tests/ops/optimizer_test.cc checks the in-place semantics.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }

InputSpec Lr() { return Uniform(DType::kF32, {}, 0.01, 0.1); }
InputSpec Step(int64_t lo, int64_t hi) { return Ints(DType::kI64, {}, lo, hi); }
InputSpec Positive(Dims dims) { return Uniform(DType::kF32, std::move(dims), 0.0, 1.0); }

// Conformance tolerances: the cpu kernels compute in f32, the reference in double.
constexpr double kRtol = 1e-4, kAtol = 1e-5;

void AssignCases(OpCases& c) {
  c.FreezeId("assign", 800);
  auto add = [&](std::string name, std::vector<InputSpec> in) {
    c.Add(ConformanceCase{"assign", std::move(name), std::move(in), {}});
  };
  add("f32 matrix", {F32({3, 4}), F32({3, 4})});
  add("f32 scalar", {F32({}), F32({})});
  add("f32 empty", {F32({0, 3}), F32({0, 3})});
  add("f32 large", {F32({300, 400}), F32({300, 400})});
  add("i64", {Ints(DType::kI64, {5, 2}, -9, 9), Ints(DType::kI64, {5, 2}, -9, 9)});
  add("i32", {Ints(DType::kI32, {7}, -9, 9), Ints(DType::kI32, {7}, -9, 9)});
  add("bool", {Bools({2, 3}), Bools({2, 3})});
  c.Add(ErrorCase{"assign",
                  "dtype mismatch",
                  {T(DType::kF32, {3, 4}), T(DType::kF64, {3, 4})},
                  {},
                  ErrorCode::kType,
                  {"value has dtype f64", "target has dtype f32"}});
  c.Add(ErrorCase{"assign",
                  "shape mismatch",
                  {T(DType::kF32, {3, 4}), T(DType::kF32, {4, 3})},
                  {},
                  ErrorCode::kShape,
                  {"(4, 3)", "(3, 4)", "does not broadcast"}});
  c.Add(ErrorCase{"assign",
                  "broadcastable shape",
                  {T(DType::kF32, {3, 4}), T(DType::kF32, {4})},
                  {},
                  ErrorCode::kShape,
                  {"(4,)", "(3, 4)"}});
  c.Add(ErrorCase{"assign",
                  "one input",
                  {T(DType::kF32, {3})},
                  {},
                  ErrorCode::kGraph,
                  {"expects 2 inputs, got 1"}});
}

void SgdCases(OpCases& c) {
  c.FreezeId("sgd_update", 801);
  auto add = [&](std::string name, std::vector<InputSpec> in, AttrMap attrs) {
    c.Add(ConformanceCase{"sgd_update", std::move(name), std::move(in), std::move(attrs), kRtol,
                          kAtol});
  };
  add("plain", {F32({4, 5}), F32({4, 5}), Lr()}, {});
  add("weight decay", {F32({4, 5}), F32({4, 5}), Lr()}, {{"weight_decay", 0.1}});
  add("scalar param", {F32({}), F32({}), Lr()}, {{"weight_decay", 0.01}});
  add("empty", {F32({0, 4}), F32({0, 4}), Lr()}, {});
  add("momentum first step", {F32({6, 7}), F32({6, 7}), Lr(), F32({6, 7}), Step(0, 1)},
      {{"momentum", 0.9}, {"dampening", 0.5}});
  add("momentum later step", {F32({6, 7}), F32({6, 7}), Lr(), F32({6, 7}), Step(1, 50)},
      {{"momentum", 0.9}, {"dampening", 0.1}, {"weight_decay", 1e-2}});
  add("nesterov", {F32({33}), F32({33}), Lr(), F32({33}), Step(1, 50)},
      {{"momentum", 0.8}, {"nesterov", 1}, {"weight_decay", 1e-3}});
  add("nesterov first step", {F32({2, 9}), F32({2, 9}), Lr(), F32({2, 9}), Step(0, 1)},
      {{"momentum", 0.8}, {"nesterov", 1}});
  add("large", {F32({512, 300}), F32({512, 300}), Lr()}, {{"weight_decay", 1e-4}});
  add("large momentum", {F32({301, 513}), F32({301, 513}), Lr(), F32({301, 513}), Step(3, 4)},
      {{"momentum", 0.9}, {"nesterov", 1}});
  auto err = [&](std::string name, std::vector<TensorType> in, AttrMap attrs, ErrorCode code,
                 std::vector<std::string> expect) {
    c.Add(ErrorCase{"sgd_update", std::move(name), std::move(in), std::move(attrs), code,
                    std::move(expect)});
  };
  const TensorType p = T(DType::kF32, {3, 4}), lr = T(DType::kF32, {}), step = T(DType::kI64, {});
  err("grad shape", {p, T(DType::kF32, {4, 3}), lr}, {}, ErrorCode::kShape,
      {"grad has shape (4, 3)", "param has shape (3, 4)"});
  err("grad dtype", {p, T(DType::kF64, {3, 4}), lr}, {}, ErrorCode::kType,
      {"grad has dtype f64", "f32"});
  err("lr not scalar", {p, p, T(DType::kF32, {1})}, {}, ErrorCode::kShape, {"lr", "(1,)"});
  err("integer param", {T(DType::kI32, {3}), T(DType::kI32, {3}), lr}, {}, ErrorCode::kType,
      {"param has dtype i32", "f32, f64"});
  err("momentum without state", {p, p, lr}, {{"momentum", 0.9}}, ErrorCode::kGraph,
      {"expects 5 inputs", "momentum_buf, step", "momentum 0.9", "got 3"});
  err("state without momentum", {p, p, lr, p, step}, {}, ErrorCode::kGraph,
      {"expects 3 inputs", "momentum 0", "got 5"});
  err("momentum_buf shape", {p, p, lr, T(DType::kF32, {12}), step}, {{"momentum", 0.5}},
      ErrorCode::kShape, {"momentum_buf has shape (12,)", "(3, 4)"});
  err("f32 step", {p, p, lr, p, T(DType::kF32, {})}, {{"momentum", 0.5}}, ErrorCode::kType,
      {"step must be an i64 scalar", "f32[]"});
  err("nesterov without momentum", {p, p, lr}, {{"nesterov", 1}}, ErrorCode::kAttribute,
      {"nesterov needs momentum > 0 and dampening 0", "momentum 0"});
  err("negative weight decay", {p, p, lr}, {{"weight_decay", -0.5}}, ErrorCode::kAttribute,
      {"weight_decay must be >= 0", "-0.5"});
}

void AdamCases(OpCases& c, const std::string& op, uint32_t id) {
  c.FreezeId(op, id);
  auto add = [&](std::string name, std::vector<InputSpec> in, AttrMap attrs) {
    c.Add(ConformanceCase{op, std::move(name), std::move(in), std::move(attrs), kRtol, kAtol});
  };
  auto inputs = [](Dims d, int64_t lo, int64_t hi, bool amsgrad) {
    std::vector<InputSpec> in = {F32(d), F32(d), F32(d), Positive(d), Step(lo, hi), Lr()};
    if (amsgrad) in.push_back(Positive(d));
    return in;
  };
  add("first step", inputs({4, 5}, 0, 1, false), {});
  add("later step", inputs({4, 5}, 1, 1000, false), {{"beta1", 0.8}, {"beta2", 0.99}});
  add("weight decay", inputs({17}, 2, 9, false), {{"weight_decay", 0.05}, {"eps", 1e-6}});
  add("amsgrad", inputs({3, 11}, 0, 20, true), {{"amsgrad", 1}});
  add("amsgrad weight decay", inputs({3, 11}, 5, 6, true), {{"amsgrad", 1}, {"weight_decay", 0.1}});
  add("scalar param", inputs({}, 0, 3, false), {});
  add("size-1 dims", inputs({1, 5, 1}, 0, 3, false), {});
  add("empty", inputs({0, 3}, 0, 3, false), {});
  add("large", inputs({300, 400}, 7, 8, false), {});
  add("large amsgrad", inputs({123, 1001}, 7, 8, true), {{"amsgrad", 1}, {"weight_decay", 0.02}});
  auto err = [&](std::string name, std::vector<TensorType> in, AttrMap attrs, ErrorCode code,
                 std::vector<std::string> expect) {
    c.Add(ErrorCase{op, std::move(name), std::move(in), std::move(attrs), code, std::move(expect)});
  };
  const TensorType p = T(DType::kF32, {2, 3}), lr = T(DType::kF32, {}), step = T(DType::kI64, {});
  err("beta1 1", {p, p, p, p, step, lr}, {{"beta1", 1.0}}, ErrorCode::kAttribute,
      {"beta1 must be in [0, 1)", "got 1"});
  err("negative eps", {p, p, p, p, step, lr}, {{"eps", -1e-8}}, ErrorCode::kAttribute,
      {"eps must be >= 0", "-1e-08"});
  err("amsgrad without state", {p, p, p, p, step, lr}, {{"amsgrad", 1}}, ErrorCode::kGraph,
      {"expects 7 inputs", "max_exp_avg_sq", "amsgrad 1", "got 6"});
  err("exp_avg dtype", {p, p, T(DType::kF64, {2, 3}), p, step, lr}, {}, ErrorCode::kType,
      {"exp_avg has dtype f64", "param has dtype f32"});
  err("exp_avg_sq shape", {p, p, p, T(DType::kF32, {3, 2}), step, lr}, {}, ErrorCode::kShape,
      {"exp_avg_sq has shape (3, 2)", "(2, 3)"});
  err("step shape", {p, p, p, p, T(DType::kI64, {1}), lr}, {}, ErrorCode::kType,
      {"step must be an i64 scalar", "i64[1]"});
  err("lr dtype", {p, p, p, p, step, T(DType::kI64, {})}, {}, ErrorCode::kType,
      {"lr has dtype i64", "f32, f64"});
}

void RmspropCases(OpCases& c) {
  c.FreezeId("rmsprop_update", 804);
  auto add = [&](std::string name, Dims d, bool centered, bool momentum, AttrMap attrs) {
    // square_avg in [0.5, 2) and grad_avg in [-0.3, 0.3): a centered variance stays positive.
    std::vector<InputSpec> in = {F32(d), F32(d), Lr(), Uniform(DType::kF32, d, 0.5, 2.0)};
    if (centered) {
      in.push_back(Uniform(DType::kF32, d, -0.3, 0.3));
      attrs["centered"] = 1;
    }
    if (momentum) {
      in.push_back(F32(d));
      if (!attrs.count("momentum")) attrs["momentum"] = 0.9;
    }
    c.Add(ConformanceCase{"rmsprop_update", std::move(name), std::move(in), std::move(attrs), kRtol,
                          kAtol});
  };
  add("plain", {4, 5}, false, false, {});
  add("weight decay", {4, 5}, false, false, {{"weight_decay", 0.1}, {"alpha", 0.9}});
  add("centered", {3, 7}, true, false, {});
  add("momentum", {3, 7}, false, true, {});
  add("centered momentum", {2, 3, 4}, true, true, {{"momentum", 0.5}, {"weight_decay", 0.01}});
  add("scalar param", {}, true, true, {});
  add("size-1 dims", {1, 6, 1}, false, true, {});
  add("empty", {0, 2}, true, true, {});
  add("large", {400, 300}, false, false, {});
  add("large centered momentum", {257, 511}, true, true, {{"eps", 1e-6}});
  auto err = [&](std::string name, std::vector<TensorType> in, AttrMap attrs, ErrorCode code,
                 std::vector<std::string> expect) {
    c.Add(ErrorCase{"rmsprop_update", std::move(name), std::move(in), std::move(attrs), code,
                    std::move(expect)});
  };
  const TensorType p = T(DType::kF32, {5}), lr = T(DType::kF32, {});
  err("centered without grad_avg", {p, p, lr, p}, {{"centered", 1}}, ErrorCode::kGraph,
      {"expects 5 inputs", "square_avg, grad_avg)", "centered 1", "got 4"});
  err("momentum and centered", {p, p, lr, p, p}, {{"centered", 1}, {"momentum", 0.9}},
      ErrorCode::kGraph, {"expects 6 inputs", "grad_avg, momentum_buf)", "momentum 0.9"});
  err("alpha above 1", {p, p, lr, p}, {{"alpha", 1.5}}, ErrorCode::kAttribute,
      {"alpha must be in [0, 1]", "1.5"});
  err("square_avg shape", {p, p, lr, T(DType::kF32, {5, 1})}, {}, ErrorCode::kShape,
      {"square_avg has shape (5, 1)", "param has shape (5,)"});
  err("centered flag 2", {p, p, lr, p}, {{"centered", 2}}, ErrorCode::kAttribute,
      {"centered must be 0 or 1", "got 2"});
}

void AdagradCases(OpCases& c) {
  c.FreezeId("adagrad_update", 805);
  auto add = [&](std::string name, Dims d, int64_t lo, int64_t hi, AttrMap attrs) {
    std::vector<InputSpec> in = {F32(d), F32(d), Lr(), Positive(d), Step(lo, hi)};
    c.Add(ConformanceCase{"adagrad_update", std::move(name), std::move(in), std::move(attrs), kRtol,
                          kAtol});
  };
  add("first step", {4, 5}, 0, 1, {});
  add("lr decay", {4, 5}, 1, 30, {{"lr_decay", 0.1}});
  add("weight decay", {9}, 0, 30, {{"weight_decay", 0.2}, {"eps", 1e-6}});
  add("scalar param", {}, 0, 3, {});
  add("size-1 dims", {1, 1, 7}, 2, 3, {{"lr_decay", 0.01}});
  add("empty", {3, 0}, 0, 3, {});
  add("large", {300, 400}, 5, 6, {{"lr_decay", 1e-3}, {"weight_decay", 1e-4}});
  auto err = [&](std::string name, std::vector<TensorType> in, AttrMap attrs, ErrorCode code,
                 std::vector<std::string> expect) {
    c.Add(ErrorCase{"adagrad_update", std::move(name), std::move(in), std::move(attrs), code,
                    std::move(expect)});
  };
  const TensorType p = T(DType::kF64, {2, 2}), lr = T(DType::kF64, {}), step = T(DType::kI64, {});
  err("negative lr_decay", {p, p, lr, p, step}, {{"lr_decay", -1.0}}, ErrorCode::kAttribute,
      {"lr_decay must be >= 0", "-1"});
  err("sum shape", {p, p, lr, T(DType::kF64, {4}), step}, {}, ErrorCode::kShape,
      {"sum has shape (4,)", "param has shape (2, 2)"});
  err("missing step", {p, p, lr, p}, {}, ErrorCode::kGraph, {"expects 5 inputs, got 4"});
  err("i32 step", {p, p, lr, p, T(DType::kI32, {})}, {}, ErrorCode::kType,
      {"step must be an i64 scalar", "i32[]"});
}

}  // namespace

BRONZE_OP_CASES(optimizer) {
  AssignCases(c);
  SgdCases(c);
  AdamCases(c, "adam_update", 802);
  AdamCases(c, "adamw_update", 803);
  RmspropCases(c);
  AdagradCases(c);
}

}  // namespace bronze::testing
