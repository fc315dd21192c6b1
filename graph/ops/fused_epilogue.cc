// GEMM and convolution ops with an epilogue (ids 1001-1003, 1005): linear_fused, matmul_fused and
// conv2d_fused are linear, matmul and conv2d followed by an optional bias, an optional activation
// and an optional residual add, in one node, so the CPU kernels apply them as oneDNN post-ops
// while the product is still in cache. The fuse pass (passes/fuse_epilogue.cc) makes them after
// autodiff; they are not differentiable. Inputs: the base op's operands, then the bias (when
// `bias` = 1; linear's and conv2d's own bias input, matmul's per-column bias), then the residual
// (when `residual` is not "none"), which has exactly the output's type.
// matmul_sgd_update is a weight gradient's matmul and the SGD update that reads it, in one node
// (passes/fuse_update.cc): the GEMM accumulates into the parameter or its momentum buffer, so the
// gradient never exists as a tensor.
#include <algorithm>

#include "graph/ops/common.h"
#include "graph/ops/fused.h"

namespace bronze {
namespace {

constexpr const char* kActivations[] = {"none", "relu", "gelu", "gelu_tanh", "sigmoid", "tanh"};

void ValidateEpilogueAttrs(const AttrMap& attrs) {
  const std::string& act = attrs.at("activation").s();
  if (std::find(std::begin(kActivations), std::end(kActivations), act) == std::end(kActivations)) {
    throw AttributeError(
        "activation must be one of none, relu, gelu, gelu_tanh, sigmoid, tanh; "
        "got \"" +
        act + "\"");
  }
  const std::string& res = attrs.at("residual").s();
  if (res != "none" && res != "after" && res != "before") {
    throw AttributeError("residual must be \"none\", \"after\" or \"before\", got \"" + res + "\"");
  }
  const int64_t bias = attrs.at("bias").i();
  if (bias != 0 && bias != 1)
    throw AttributeError("bias must be 0 or 1, got " + std::to_string(bias));
}

// The base op's attributes: the node's minus the epilogue's.
AttrMap BaseAttrs(const AttrMap& attrs) {
  AttrMap base = attrs;
  for (const char* k : {"activation", "residual", "bias"}) base.erase(k);
  return base;
}

OpSchema Epilogue(const std::string& base_name, uint32_t id, const OpRegistry& r) {
  const OpSchema& base = *r.Find(base_name);
  OpSchema s = ops::MakeSchema(
      base_name + "_fused", id, {}, FusionKind::kOpaque,
      base_name + " followed by an epilogue, made by the fuse pass: y = act(" + base_name +
          "(...) + bias + residual) when residual = \"before\", else act(" + base_name +
          "(...) + bias) + residual; each part optional. activation: none, relu, gelu (erf), "
          "gelu_tanh, sigmoid or tanh, as those ops define them. Inputs: " +
          base_name + "'s operands, then the bias when bias = 1 (" +
          (base_name == "matmul" ? std::string("one value per output column, (N,)")
                                 : std::string("the op's own bias input")) +
          "), then the residual (the output's exact type) when residual is not \"none\". Float "
          "dtypes. Not differentiable: fusion runs after autodiff.");
  s.input_names = {base.input_names[0], base.input_names[1], "bias", "residual"};
  s.min_inputs = 2;
  s.max_inputs = 4;
  s.attrs = base.attrs;
  s.elided_defaults = base.elided_defaults;
  s.attrs.push_back({"activation", AttrType::kString, Attribute("none"),
                     "none, relu, gelu, gelu_tanh, sigmoid or tanh"});
  s.attrs.push_back({"residual", AttrType::kString, Attribute("none"),
                     "none; after: + residual after the activation; before: inside it"});
  s.attrs.push_back({"bias", AttrType::kInt, Attribute(int64_t{0}), "1: a bias input follows"});
  const ValidateFn base_validate = base.validate;
  s.validate = [base_validate](const AttrMap& attrs) {
    ValidateEpilogueAttrs(attrs);
    if (base_validate) base_validate(BaseAttrs(attrs));
  };
  const std::string name = base_name;
  s.infer = [name](const InferContext& ctx) {
    const bool bias = ctx.attr("bias").i() == 1;
    const bool residual = ctx.attr("residual").s() != "none";
    const size_t want = 2 + (bias ? 1 : 0) + (residual ? 1 : 0);
    if (ctx.inputs.size() != want) {
      throw AttributeError("bias = " + std::to_string(bias ? 1 : 0) + " and residual = \"" +
                           ctx.attr("residual").s() + "\" need " + std::to_string(want) +
                           " inputs, got " + std::to_string(ctx.inputs.size()));
    }
    const OpSchema& op = OpRegistry::Global().Get(name);
    const bool native_bias = name != "matmul";
    std::vector<TensorType> base_in(ctx.inputs.begin(),
                                    ctx.inputs.begin() + (bias && native_bias ? 3 : 2));
    const AttrMap base_attrs = BaseAttrs(ctx.attrs);
    std::vector<TensorType> out = op.infer(InferContext{base_attrs, base_in});
    const TensorType& y = out.at(0);
    ops::RequireDType(y.dtype, ops::kFloatDTypes, "output");
    if (bias && !native_bias) {
      const TensorType& b = ctx.input(2);
      const Shape want_b({y.shape.rank() ? y.shape[y.shape.rank() - 1] : Dim(1)});
      if (b.dtype != y.dtype || !(b.shape == want_b)) {
        throw ShapeError("bias " + b.ToString() + " must be " +
                         TensorType{y.dtype, want_b}.ToString() +
                         ", one value per output column of " + y.ToString());
      }
    }
    if (residual && !(ctx.inputs.back() == y)) {
      throw ShapeError("residual " + ctx.inputs.back().ToString() +
                       " must have the output's type " + y.ToString());
    }
    return out;
  };
  const CostFn base_cost = base.cost;
  s.cost = [base_cost](const AttrMap& attrs, std::span<const TensorType> in,
                       std::span<const TensorType> out) {
    Cost c = base_cost(BaseAttrs(attrs), in.subspan(0, 2), out);
    for (size_t k = 2; k < in.size(); ++k) c.bytes_read += ops::Bytes(in[k]);
    c.flops += 2 * ops::StaticNumel(out[0]);
    return c;
  };
  s.differentiability = Differentiability::kNotDifferentiable;
  return s;
}

// matmul_sgd_update's matmul attributes: its own minus the optimizer's.
AttrMap MatmulAttrs(const AttrMap& attrs) {
  AttrMap base = attrs;
  for (const char* k : {"momentum", "dampening", "weight_decay"}) base.erase(k);
  return base;
}

OpSchema MatmulSgdUpdate(const OpRegistry& r) {
  const OpSchema& matmul = *r.Find("matmul");
  OpSchema s = ops::MakeSchema(
      "matmul_sgd_update", 1005, {"param", "a", "b", "lr", "momentum_buf", "step"},
      FusionKind::kOpaque,
      "A weight gradient's matmul and the SGD step that reads it, made by the fuse pass: "
      "sgd_update(param, matmul(a, b), lr[, momentum_buf, step]) without nesterov, the gradient "
      "never stored. g = matmul(a, b) + weight_decay * param; with momentum != 0: momentum_buf "
      "= g on the first step (step == 0), else momentum * momentum_buf + (1 - dampening) * g; "
      "param = param - lr * (momentum_buf, or g without momentum). The GEMM accumulates into "
      "the parameter (alpha = -lr, beta = 1 - lr * weight_decay) or, with momentum, into the "
      "buffer (beta = momentum), then one pass adds the weight decay's share and steps the "
      "parameter. a and b are matrices (rank 2, param's dtype, f32 or f64; transpose_a and "
      "transpose_b as in matmul) whose product has exactly param's shape; lr is an f32 or f64 "
      "scalar read at run time; momentum_buf (param's type) and step (i64 scalar) are present "
      "exactly when momentum != 0. Outputs: param, then (momentum != 0) momentum_buf and step + "
      "1, each written in place into its input's buffer, which must be a parameter or state "
      "value (verifier); every other reader of those values runs before this op. Not "
      "differentiable.");
  s.min_inputs = 4;
  s.max_inputs = 6;
  s.num_outputs = kVariadic;
  s.attrs = matmul.attrs;
  s.elided_defaults = matmul.elided_defaults;
  s.attrs.push_back({"momentum", AttrType::kFloat, Attribute(0.0),
                     "momentum factor mu >= 0 (0: plain SGD, no state)"});
  s.attrs.push_back({"dampening", AttrType::kFloat, Attribute(0.0),
                     "dampening tau >= 0 for momentum (not applied on the first step)"});
  s.attrs.push_back({"weight_decay", AttrType::kFloat, Attribute(0.0),
                     "L2 penalty lambda >= 0 added to the gradient, as sgd_update's"});
  const ValidateFn matmul_validate = matmul.validate;
  s.validate = [matmul_validate](const AttrMap& attrs) {
    matmul_validate(MatmulAttrs(attrs));
    for (const char* name : {"momentum", "dampening", "weight_decay"}) {
      const double v = attrs.at(name).f();
      if (!(v >= 0.0)) {
        throw AttributeError(std::string(name) + " must be >= 0, got " + FormatDouble(v));
      }
    }
  };
  s.infer = [](const InferContext& ctx) {
    const bool momentum = ctx.attr("momentum").f() != 0.0;
    const size_t want = momentum ? 6 : 4;
    if (ctx.inputs.size() != want) {
      throw GraphError("expects " + std::to_string(want) + " inputs " +
                       (momentum ? "(param, a, b, lr, momentum_buf, step) with momentum " +
                                       FormatDouble(ctx.attr("momentum").f())
                                 : std::string("(param, a, b, lr) with momentum 0")) +
                       ", got " + std::to_string(ctx.inputs.size()));
    }
    const TensorType& p = ctx.input(0);
    ops::RequireDType(p.dtype, {DType::kF32, DType::kF64}, "param");
    for (size_t i : {1, 2}) {
      const TensorType& t = ctx.input(i);
      const char* name = i == 1 ? "a" : "b";
      if (t.dtype != p.dtype) {
        throw TypeError(std::string(name) + " has dtype " + std::string(DTypeName(t.dtype)) +
                        ", but param has dtype " + std::string(DTypeName(p.dtype)));
      }
      if (t.shape.rank() != 2) {
        throw ShapeError(std::string(name) + " must be a matrix (rank 2), got shape " +
                         t.shape.ToString());
      }
    }
    const std::vector<TensorType> g = OpRegistry::Global().Get("matmul").infer(
        InferContext{MatmulAttrs(ctx.attrs), std::vector<TensorType>{ctx.input(1), ctx.input(2)}});
    if (!(g[0].shape == p.shape)) {
      throw ShapeError("matmul(a, b) has shape " + g[0].shape.ToString() +
                       ", but param has shape " + p.shape.ToString());
    }
    const TensorType& lr = ctx.input(3);
    ops::RequireDType(lr.dtype, {DType::kF32, DType::kF64}, "lr");
    if (lr.shape.rank() != 0) {
      throw ShapeError("lr must be a scalar of shape (), got shape " + lr.shape.ToString());
    }
    if (!momentum) return std::vector<TensorType>{p};
    if (!(ctx.input(4) == p)) {
      throw ShapeError("momentum_buf " + ctx.input(4).ToString() + " must have param's type " +
                       p.ToString());
    }
    const TensorType& step = ctx.input(5);
    if (step.dtype != DType::kI64 || step.shape.rank() != 0) {
      throw TypeError("step must be an i64 scalar of shape (), got " + step.ToString());
    }
    return std::vector<TensorType>{p, ctx.input(4), step};
  };
  const CostFn matmul_cost = matmul.cost;
  s.cost = [matmul_cost](const AttrMap& attrs, std::span<const TensorType> in,
                         std::span<const TensorType> out) {
    Cost c = matmul_cost(MatmulAttrs(attrs), in.subspan(1, 2), out.subspan(0, 1));
    c.bytes_read += ops::Bytes(in[0]);  // the parameter, read and written once
    if (in.size() > 4) {
      c.bytes_read += ops::Bytes(in[4]);
      c.bytes_written += ops::Bytes(in[4]);
    }
    c.flops += 3 * ops::StaticNumel(out[0]);
    return c;
  };
  s.differentiability = Differentiability::kNotDifferentiable;
  s.has_side_effects = true;
  s.inplace = {{0, 0}, {1, 4}, {2, 5}};
  return s;
}

}  // namespace

std::string EpilogueProgram(const AttrMap& attrs, bool bias_add) {
  // in0: the base op's result; then the bias (when added here), then the residual.
  std::string p;
  int t = 0, next_in = 1;
  std::string cur = "in0";
  auto emit = [&](const std::string& instr) {
    p += "t" + std::to_string(t) + " = " + instr + "; ";
    cur = "t" + std::to_string(t++);
  };
  if (bias_add) emit("add(" + cur + ", in" + std::to_string(next_in++) + ")");
  const std::string res = attrs.at("residual").s();
  const std::string residual_in = "in" + std::to_string(next_in);
  if (res == "before") emit("add(" + cur + ", " + residual_in + ")");
  const std::string& act = attrs.at("activation").s();
  if (act == "gelu")
    emit("gelu(" + cur + ") {approximate = 'none'}");
  else if (act == "gelu_tanh")
    emit("gelu(" + cur + ") {approximate = 'tanh'}");
  else if (act != "none")
    emit(act + "(" + cur + ")");
  if (res == "after") emit("add(" + cur + ", " + residual_in + ")");
  if (t == 0) return "";
  return p + "return " + cur;
}

void RegisterFusedEpilogueOps(OpRegistry& r) {
  r.Register(Epilogue("linear", 1001, r));
  r.Register(Epilogue("matmul", 1002, r));
  r.Register(Epilogue("conv2d", 1003, r));
  r.Register(MatmulSgdUpdate(r));
}

}  // namespace bronze
