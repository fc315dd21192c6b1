// Trainer (see trainer.h).
#include "runtime/trainer.h"

#include <sstream>

#include "graph/error.h"
#include "graph/op_registry.h"

namespace bronze {

Trainer::~Trainer() = default;

Trainer::Trainer(Graph model, TrainerOptions options) : options_(std::move(options)) {
  if (!options_.schedule) {
    options_.schedule = ConstantLr(options_.lr > 0 ? options_.lr : options_.training.optimizer.lr);
  }
  training_ = BuildTrainingGraph(std::move(model), options_.training);
  // Passes see a training compile (fold_conv_bn, say, leaves batch_norm alone).
  options_.session.pass_options.training = true;
  session_ = std::make_unique<Session>(training_.graph, options_.session);
  // The session holds the weights now; the structure is all the trainer keeps.
  for (NodeId id : training_.graph.node_ids()) {
    Node& n = training_.graph.node(id);
    if (n.op->name == "parameter" || n.op->name == "state") n.data = Tensor();
  }
}

double Trainer::learning_rate() const { return options_.schedule->At(step_); }

void Trainer::set_schedule(std::shared_ptr<LrSchedule> schedule) {
  if (!schedule) throw InvalidArgumentError("Trainer::set_schedule: null schedule");
  options_.schedule = std::move(schedule);
}

std::vector<Tensor> Trainer::Feed(const NamedTensors& batch) const {
  if (batch.count(kLearningRateInput)) {
    throw InvalidArgumentError(std::string("Trainer feeds the input '") + kLearningRateInput +
                               "' itself (from its schedule); do not pass it in the batch");
  }
  NamedTensors in = batch;
  in[kLearningRateInput] = Tensor::Scalar<float>(static_cast<float>(learning_rate()));
  return session_->Ordered(in);
}

NamedTensors Trainer::Step(const NamedTensors& batch) {
  std::vector<Tensor> outs = session_->Run(Feed(batch));
  ++step_;
  NamedTensors result;
  for (size_t k = 0; k < outs.size(); ++k) result[session_->output_specs()[k].name] = std::move(outs[k]);
  return result;
}

ProfileReport Trainer::Profile(const NamedTensors& batch, int runs, int warmup) {
  ProfileReport report = session_->Profile(Feed(batch), runs, warmup);
  step_ += runs + warmup;
  return report;
}

NamedTensors Trainer::State() const {
  NamedTensors out;
  for (NodeId id : training_.graph.node_ids()) {
    const Node& n = training_.graph.node(id);
    if (n.op->name == "parameter" || n.op->name == "state") {
      out[n.name] = session_->parameter(n.name).Clone();
    }
  }
  return out;
}

void Trainer::Restore(const NamedTensors& state, int64_t step) {
  if (step < 0) throw InvalidArgumentError("Trainer::Restore: negative step " + std::to_string(step));
  for (const auto& [name, value] : state) session_->set_parameter(name, value);  // copies
  step_ = step;
}

std::string Trainer::Explain(const NamedTensors& batch) const {
  std::vector<Dims> dims;
  for (const Tensor& t : Feed(batch)) dims.push_back(t.dims());
  return session_->Explain(dims);
}

MemoryReport Trainer::Memory(const NamedTensors& batch) const {
  std::shared_ptr<const Plan> plan = session_->PlanFor(Feed(batch));
  MemoryReport r;
  const Graph& g = plan->graph();
  auto bytes = [&](Value v) {
    const TensorType& t = g.type(v);
    return static_cast<size_t>(NumElements(t.shape.static_dims())) * DTypeSize(t.dtype);
  };
  for (NodeId id : g.node_ids()) {
    const std::string& op = g.node(id).op->name;
    if (op == "parameter") r.parameter_bytes += bytes({id, 0});
    if (op == "state") r.state_bytes += bytes({id, 0});
  }
  r.peak_bytes = plan->arena_bytes();
  r.live_peak_bytes = plan->memory().live_peak_bytes;
  r.saved = training_.saved;
  for (const std::string& name : training_.saved) {
    size_t colon = name.rfind(':');
    std::string node = colon == std::string::npos ? name : name.substr(0, colon);
    int index = colon == std::string::npos ? 0 : std::stoi(name.substr(colon + 1));
    NodeId id = g.FindNode(node);
    if (id == kNoNode) continue;
    r.saved_bytes += bytes({id, index});
  }
  return r;
}

std::string MemoryReport::ToString() const {
  std::ostringstream os;
  os << "parameters " << parameter_bytes << " B, optimizer and other state " << state_bytes
     << " B, step arena " << peak_bytes << " B (peak of live intermediates " << live_peak_bytes
     << " B; of which kept for the backward "
     << saved_bytes << " B in " << saved.size() << " values)";
  return os.str();
}

}  // namespace bronze
