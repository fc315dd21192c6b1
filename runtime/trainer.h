// Trainer: the C++ training API. It compiles a model graph's training step once
// (passes/training.h: forward, loss, backward, clipping, optimizer updates in place) into a
// Session, then runs it on batches: Step() feeds the batch and the learning rate of the current
// step (from an LrSchedule), and returns the loss and metric outputs. Parameters, optimizer state
// and running statistics live in the Session and change in place; nothing returns to the caller
// between the forward and the update. Two Trainers built from the same graph and fed the same
// batches produce bitwise-identical parameters (kernels are deterministic at any thread count;
// dropout masks depend only on their seed and the step counter).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "passes/training.h"
#include "runtime/lr_schedule.h"
#include "runtime/session.h"

namespace bronze {

struct TrainerOptions {
  TrainingConfig training;
  std::shared_ptr<LrSchedule> schedule;  // null: a constant learning rate `lr`
  double lr = 0;  // 0: the optimizer's default (OptimizerSpec::lr, PyTorch's default for the kind)
  SessionOptions session;
};

// What a training step holds in memory, from the compiled plan.
struct MemoryReport {
  size_t parameter_bytes = 0;  // trainable parameters
  size_t state_bytes = 0;      // optimizer state, running statistics, counters
  size_t peak_bytes = 0;       // the arena a step runs in: all its intermediates (Plan::arena_bytes)
  size_t live_peak_bytes = 0;  // the most of them alive at once (64-byte aligned sizes), <= peak
  size_t saved_bytes = 0;      // forward intermediates the backward pass keeps
  std::vector<std::string> saved;  // their names ("node" or "node:output")
  std::string ToString() const;
};

class Trainer {
 public:
  explicit Trainer(Graph model, TrainerOptions options = {});
  ~Trainer();

  // One training step on `batch` (every model placeholder by name; not "lr"). Returns the
  // model's outputs (loss and metrics) computed by this step's forward pass.
  NamedTensors Step(const NamedTensors& batch);

  int64_t step() const { return step_; }  // steps done so far
  double learning_rate() const;           // the rate the next Step will use
  // Replaces the schedule (steps keep counting from step()); a Keras LearningRateScheduler
  // callback sets a constant rate per epoch this way. Throws InvalidArgumentError for null.
  void set_schedule(std::shared_ptr<LrSchedule> schedule);
  Tensor parameter(const std::string& name) const { return session_->parameter(name); }
  const std::vector<std::string>& parameters() const { return training_.parameters; }
  // The compiled step's structure (parameter and state nodes carry no data: read parameter()).
  const TrainingGraph& training_graph() const { return training_; }
  const Session& session() const { return *session_; }
  // Every parameter and state tensor (optimizer moments, running statistics, counters) by node
  // name, cloned: with step(), what a checkpoint holds.
  NamedTensors State() const;
  // Puts back what State() returned (every tensor it names must be a parameter or state of this
  // trainer, with the same dtype and shape) and the step counter, so training continues
  // bitwise-identically. Throws NotFoundError / InvalidArgumentError.
  void Restore(const NamedTensors& state, int64_t step);
  // Times each step of the compiled training step (Session::Profile, runtime/profile.h):
  // `warmup` + `runs` real training steps on `batch` at the current learning rate, after which
  // step() has advanced by that many.
  ProfileReport Profile(const NamedTensors& batch, int runs = 20, int warmup = 3);
  // The memory of a step on batches shaped like `batch` (compiles its plan if new).
  MemoryReport Memory(const NamedTensors& batch) const;
  // The compile of the training step explained (Session::Explain, runtime/explain.h): the
  // pipeline, every pass remark (what fused and why the rest did not, optimizer updates
  // included), the fused groups, and the schedule and arena for batches shaped like `batch`.
  // Runs nothing and changes nothing.
  std::string Explain(const NamedTensors& batch) const;

 private:
  std::vector<Tensor> Feed(const NamedTensors& batch) const;

  TrainerOptions options_;
  TrainingGraph training_;
  std::unique_ptr<Session> session_;
  int64_t step_ = 0;
};

}  // namespace bronze
