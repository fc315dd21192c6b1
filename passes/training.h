// The training compiler: turns a model graph whose output "loss" is a float scalar into ONE
// graph that does a whole training step: the forward pass (dropout and batch_norm switched to
// training mode), the loss, the backward pass (autodiff), optional gradient clipping, and the
// optimizer's in-place updates of every trainable parameter, plus the write-back of state
// outputs (batch_norm running statistics) and of the dropout step counter. The step's learning
// rate is a scalar input "lr" (f32, shape ()), so a schedule never recompiles. The graph's
// outputs are the model's outputs (the loss and any metrics).
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/optimizer.h"

namespace bronze {

struct TrainingConfig {
  std::string loss = "loss";  // the graph output to minimize
  OptimizerSpec optimizer;
  double clip_value = 0;      // > 0: clamp every gradient element to [-clip_value, clip_value]
  double clip_norm = 0;       // > 0: scale all gradients so their global L2 norm is <= clip_norm
                              // (torch.nn.utils.clip_grad_norm_, eps 1e-6); after clip_value
};

struct TrainingGraph {
  Graph graph;
  std::vector<std::string> parameters;  // trained parameters, in graph order
  // Forward intermediates the backward pass reads (kept alive from the forward to the
  // backward; inputs, parameters and constants are not listed), "node" or "node:output".
  std::vector<std::string> saved;
  std::string rng_state;                // the dropout step counter state ("" when no dropout)
};

// The name of the learning-rate input of a training graph.
inline constexpr const char* kLearningRateInput = "lr";

// Sets attribute `training` to 0 or 1 on every node that has one (dropout, batch_norm).
void SetTrainingMode(Graph& graph, bool training);

// Builds the training step. Throws InvalidArgumentError when the loss output is missing or not a
// float scalar, or when no parameter reaches the loss.
TrainingGraph BuildTrainingGraph(Graph model, const TrainingConfig& config);

}  // namespace bronze
