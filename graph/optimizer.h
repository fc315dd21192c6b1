// Optimizer updates as graph nodes: OptimizerSpec describes a torch.optim optimizer and its
// hyperparameters (PyTorch's defaults), AppendOptimizerUpdate appends the fused in-place update
// of one parameter (graph/ops/optimizer.cc: sgd_update, adam_update, adamw_update,
// rmsprop_update, adagrad_update) together with the optimizer state it needs, as `state` nodes
// initialized exactly as PyTorch initializes them. The learning rate is a value (an f32 scalar,
// usually a placeholder), so a schedule changes it without recompiling.
#pragma once

#include <string>

#include "graph/builder.h"

namespace bronze {

enum class OptimizerKind { kSGD, kAdam, kAdamW, kRMSprop, kAdagrad };

// "sgd", "adam", "adamw", "rmsprop", "adagrad".
std::string_view OptimizerKindName(OptimizerKind kind);

struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::kSGD;
  double momentum = 0, dampening = 0;  // SGD (momentum also RMSprop)
  bool nesterov = false;               // SGD
  double weight_decay = 0;             // every kind (AdamW: decoupled)
  double beta1 = 0.9, beta2 = 0.999;   // Adam, AdamW
  double eps = 1e-8;                   // Adam, AdamW, RMSprop, Adagrad (Adagrad() sets 1e-10)
  bool amsgrad = false;                // Adam, AdamW
  double alpha = 0.99;                 // RMSprop
  bool centered = false;               // RMSprop
  double lr_decay = 0, initial_accumulator_value = 0;  // Adagrad
  // PyTorch's default learning rate for the kind (1e-3 for SGD, Adam and AdamW; 1e-2 for
  // RMSprop and Adagrad): what a training step feeds when no schedule is given. The update ops
  // never read it; the lr value passed to AppendOptimizerUpdate is the one used.
  double lr = 1e-3;

  // The torch.optim constructors' keyword arguments, in their order, with their defaults.
  static OptimizerSpec SGD(double momentum = 0, double dampening = 0, double weight_decay = 0,
                           bool nesterov = false);
  static OptimizerSpec Adam(double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
                            double weight_decay = 0, bool amsgrad = false);
  static OptimizerSpec AdamW(double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
                             double weight_decay = 0.01, bool amsgrad = false);
  static OptimizerSpec RMSprop(double alpha = 0.99, double eps = 1e-8, double weight_decay = 0,
                               double momentum = 0, bool centered = false);
  static OptimizerSpec Adagrad(double lr_decay = 0, double weight_decay = 0,
                               double initial_accumulator_value = 0, double eps = 1e-10);

  // "adam(beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0, amsgrad=0)": the kind and the
  // hyperparameters that kind uses.
  std::string ToString() const;
  // The update op's name ("sgd_update", ...) and its attributes for this spec.
  std::string OpName() const;
  AttrMap Attrs() const;
};

// Appends the in-place update of parameter `param` by `grad` at learning rate `lr` (an f32
// scalar value): creates the optimizer's state nodes (GraphBuilder::State, named
// "<param name>/<slot>" with PyTorch's slot names: momentum_buffer, exp_avg, exp_avg_sq,
// max_exp_avg_sq, square_avg, grad_avg, sum, and an i64 "step" counter where the update needs
// one), initialized as PyTorch initializes them (zeros; Adagrad's sum to
// initial_accumulator_value; step 0), and the update node, named "<param name>/<op name>".
// Returns the update node's id. Throws InvalidArgumentError when `param` is not a parameter or
// state value or already has a state of that name (updated twice), and the op's own
// TypeError / ShapeError when grad or lr do not fit.
NodeId AppendOptimizerUpdate(GraphBuilder& b, Value param, Value grad, Value lr,
                             const OptimizerSpec& spec);

}  // namespace bronze
