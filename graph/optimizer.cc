// OptimizerSpec and AppendOptimizerUpdate: the optimizer update of one parameter as a node of
// graph/ops/optimizer.cc plus its state nodes, initialized as torch.optim initializes them.
#include "graph/optimizer.h"

#include <algorithm>

#include "graph/error.h"

namespace bronze {

std::string_view OptimizerKindName(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSGD:
      return "sgd";
    case OptimizerKind::kAdam:
      return "adam";
    case OptimizerKind::kAdamW:
      return "adamw";
    case OptimizerKind::kRMSprop:
      return "rmsprop";
    case OptimizerKind::kAdagrad:
      return "adagrad";
  }
  return "unknown";
}

OptimizerSpec OptimizerSpec::SGD(double momentum, double dampening, double weight_decay,
                                 bool nesterov) {
  OptimizerSpec s;
  s.kind = OptimizerKind::kSGD;
  s.momentum = momentum;
  s.dampening = dampening;
  s.weight_decay = weight_decay;
  s.nesterov = nesterov;
  s.lr = 1e-3;
  return s;
}

OptimizerSpec OptimizerSpec::Adam(double beta1, double beta2, double eps, double weight_decay,
                                  bool amsgrad) {
  OptimizerSpec s;
  s.kind = OptimizerKind::kAdam;
  s.beta1 = beta1;
  s.beta2 = beta2;
  s.eps = eps;
  s.weight_decay = weight_decay;
  s.amsgrad = amsgrad;
  s.lr = 1e-3;
  return s;
}

OptimizerSpec OptimizerSpec::AdamW(double beta1, double beta2, double eps, double weight_decay,
                                   bool amsgrad) {
  OptimizerSpec s = Adam(beta1, beta2, eps, weight_decay, amsgrad);
  s.kind = OptimizerKind::kAdamW;
  return s;
}

OptimizerSpec OptimizerSpec::RMSprop(double alpha, double eps, double weight_decay, double momentum,
                                     bool centered) {
  OptimizerSpec s;
  s.kind = OptimizerKind::kRMSprop;
  s.alpha = alpha;
  s.eps = eps;
  s.weight_decay = weight_decay;
  s.momentum = momentum;
  s.centered = centered;
  s.lr = 1e-2;
  return s;
}

OptimizerSpec OptimizerSpec::Adagrad(double lr_decay, double weight_decay,
                                     double initial_accumulator_value, double eps) {
  OptimizerSpec s;
  s.kind = OptimizerKind::kAdagrad;
  s.lr_decay = lr_decay;
  s.weight_decay = weight_decay;
  s.initial_accumulator_value = initial_accumulator_value;
  s.eps = eps;
  s.lr = 1e-2;
  return s;
}

std::string OptimizerSpec::OpName() const {
  return std::string(OptimizerKindName(kind)) + "_update";
}

AttrMap OptimizerSpec::Attrs() const {
  auto flag = [](bool b) { return Attribute(int64_t{b ? 1 : 0}); };
  switch (kind) {
    case OptimizerKind::kSGD:
      return {{"momentum", momentum},
              {"dampening", dampening},
              {"nesterov", flag(nesterov)},
              {"weight_decay", weight_decay}};
    case OptimizerKind::kAdam:
    case OptimizerKind::kAdamW:
      return {{"beta1", beta1},
              {"beta2", beta2},
              {"eps", eps},
              {"weight_decay", weight_decay},
              {"amsgrad", flag(amsgrad)}};
    case OptimizerKind::kRMSprop:
      return {{"alpha", alpha},
              {"eps", eps},
              {"weight_decay", weight_decay},
              {"momentum", momentum},
              {"centered", flag(centered)}};
    case OptimizerKind::kAdagrad:
      return {{"lr_decay", lr_decay}, {"weight_decay", weight_decay}, {"eps", eps}};
  }
  return {};
}

std::string OptimizerSpec::ToString() const {
  std::string out = std::string(OptimizerKindName(kind)) + "(lr=" + FormatDouble(lr);
  for (const auto& [name, value] : Attrs()) {
    out += ", " + name + "=" +
           (value.type() == AttrType::kInt ? std::to_string(value.i()) : FormatDouble(value.f()));
  }
  if (kind == OptimizerKind::kAdagrad) {
    out += ", initial_accumulator_value=" + FormatDouble(initial_accumulator_value);
  }
  return out + ")";
}

namespace {

// A tensor of the parameter's type filled with `value`.
Tensor Filled(const TensorType& type, double value) {
  Tensor t = Tensor::Zeros(type.dtype, type.shape.static_dims());
  if (value == 0.0) return t;
  if (type.dtype == DType::kF32) {
    std::fill(t.data<float>(), t.data<float>() + t.numel(), static_cast<float>(value));
  } else if (type.dtype == DType::kF64) {
    std::fill(t.data<double>(), t.data<double>() + t.numel(), value);
  } else {
    throw TypeError("optimizer state of dtype " + std::string(DTypeName(type.dtype)) +
                    " (parameters must be f32 or f64)");
  }
  return t;
}

}  // namespace

NodeId AppendOptimizerUpdate(GraphBuilder& b, Value param, Value grad, Value lr,
                             const OptimizerSpec& spec) {
  Graph& g = b.graph();
  if (!param.valid() || !g.alive(param.node)) {
    throw InvalidArgumentError(
        "AppendOptimizerUpdate: param is not a value of graph '" + g.name() + "'", b.location());
  }
  const Node& p = g.node(param.node);
  if (p.op->name != "parameter" && p.op->name != "state") {
    throw InvalidArgumentError("AppendOptimizerUpdate: " + p.Describe() +
                                   " is not a parameter or state value, so it cannot be updated "
                                   "in place",
                               b.location());
  }
  const std::string pname = p.name;
  const TensorType ptype = g.type(param);
  if (ptype.dtype != DType::kF32 && ptype.dtype != DType::kF64) {
    throw TypeError("AppendOptimizerUpdate: parameter '" + pname + "' has dtype " +
                        std::string(DTypeName(ptype.dtype)) + "; optimizers update f32 or f64",
                    b.location());
  }
  auto state = [&](const std::string& slot, Tensor initial) {
    const std::string name = pname + "/" + slot;
    if (g.FindNode(name) != kNoNode) {
      throw InvalidArgumentError("AppendOptimizerUpdate: parameter '" + pname +
                                     "' already has optimizer state '" + name +
                                     "' (is it updated twice?)",
                                 b.location());
    }
    return b.State(name, std::move(initial));
  };
  auto zeros = [&](const std::string& slot) { return state(slot, Filled(ptype, 0.0)); };
  auto step = [&] { return state("step", Tensor::Scalar<int64_t>(0)); };

  std::vector<Value> in = {param, grad};
  switch (spec.kind) {
    case OptimizerKind::kSGD:
      in.push_back(lr);
      if (spec.momentum != 0.0) {
        in.push_back(zeros("momentum_buffer"));
        in.push_back(step());
      }
      break;
    case OptimizerKind::kAdam:
    case OptimizerKind::kAdamW:
      in.push_back(zeros("exp_avg"));
      in.push_back(zeros("exp_avg_sq"));
      in.push_back(step());
      in.push_back(lr);
      if (spec.amsgrad) in.push_back(zeros("max_exp_avg_sq"));
      break;
    case OptimizerKind::kRMSprop:
      in.push_back(lr);
      in.push_back(zeros("square_avg"));
      if (spec.centered) in.push_back(zeros("grad_avg"));
      if (spec.momentum > 0.0) in.push_back(zeros("momentum_buffer"));
      break;
    case OptimizerKind::kAdagrad:
      if (!(spec.initial_accumulator_value >= 0.0)) {
        throw InvalidArgumentError(
            "AppendOptimizerUpdate: initial_accumulator_value must be >= 0, got " +
                FormatDouble(spec.initial_accumulator_value),
            b.location());
      }
      in.push_back(lr);
      in.push_back(state("sum", Filled(ptype, spec.initial_accumulator_value)));
      in.push_back(step());
      break;
  }
  std::vector<Value> out =
      b.Op(spec.OpName(), std::move(in), spec.Attrs(), pname + "/" + spec.OpName());
  return out[0].node;
}

}  // namespace bronze
