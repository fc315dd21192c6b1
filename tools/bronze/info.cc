// `bronze info FILE`: what a model takes and returns, what it is made of and what it needs:
// inputs and outputs with dtypes and shapes, the op histogram, parameter count, weight bytes,
// the planned memory of one run at batch 1 (or --batch N, --dim SYM=VALUE) and the metadata.
#include <algorithm>
#include <iostream>
#include <memory>

#include "tools/bronze/cli.h"

namespace bronze::cli {
namespace {

struct InfoOptions {
  std::string file;
  int64_t batch = 1;
  std::vector<std::string> dims;
};

std::string Bindings(const SymbolBindings& bindings) {
  std::string text;
  for (const auto& [name, value] : bindings) {
    text += (text.empty() ? "" : ", ") + name + "=" + std::to_string(value);
  }
  return text.empty() ? "no symbolic dims" : text;
}

int RunInfo(const InfoOptions& o) {
  LoadedModel model = LoadModel(o.file);
  const Graph& g = model.graph;
  SymbolBindings dims = ParseDims(o.dims);

  // What the file holds: ops, parameters and weights (before the session takes the data).
  std::map<std::string, int64_t> histogram;
  int64_t num_params = 0, param_elements = 0, num_state = 0, num_constants = 0;
  size_t weight_bytes = 0;
  int64_t without_data = 0;
  for (NodeId id : g.node_ids()) {
    const Node& n = g.node(id);
    ++histogram[n.op_name()];
    const bool param = n.op_name() == "parameter", state = n.op_name() == "state";
    if (!param && !state && n.op_name() != "constant") continue;
    num_params += param;
    num_state += state;
    num_constants += n.op_name() == "constant";
    if (!n.data.defined()) {
      ++without_data;
      continue;
    }
    if (param) param_elements += n.data.numel();
    weight_bytes += n.data.nbytes();
  }

  SessionOptions options;
  options.threads = 1;
  auto session = InPhase(kExitInvalidModel,
                         [&] { return std::make_unique<Session>(g, options); });

  std::cout << "file:        " << o.file << " ("
            << (model.format == "bronze" ? ".bronze model file" : "text IR") << ")\n";
  std::cout << "graph:       " << g.name() << "\n";
  std::cout << "inputs:\n";
  for (const TensorSpec& s : session->input_specs()) {
    std::cout << "  " << s.name << ": " << DTypeName(s.dtype) << s.shape.ToListString() << "\n";
  }
  std::cout << "outputs:\n";
  for (const TensorSpec& s : session->output_specs()) {
    std::cout << "  " << s.name << ": " << DTypeName(s.dtype) << s.shape.ToListString() << "\n";
  }
  std::vector<std::pair<std::string, int64_t>> ops(histogram.begin(), histogram.end());
  std::stable_sort(ops.begin(), ops.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::cout << "ops:         " << g.num_nodes() << " nodes\n";
  for (const auto& [op, count] : ops) std::cout << "  " << op << ": " << count << "\n";
  std::cout << "parameters:  " << num_params << " tensors, " << param_elements << " elements\n";
  if (num_state) std::cout << "state:       " << num_state << " tensors\n";
  if (num_constants) std::cout << "constants:   " << num_constants << " tensors\n";
  std::cout << "weight bytes: " << FormatBytes(weight_bytes)
            << " (parameters, state and constants)\n";
  if (without_data) {
    std::cout << "  (" << without_data << " source tensors carry no data in this file)\n";
  }

  // The planned memory of one run. Any failure here (an unbound symbol, no kernel for an op)
  // is reported, not fatal: the rest of the information stands.
  std::cout << "planned arena: ";
  try {
    SymbolBindings bindings = BindSymbols(session->input_specs(), o.batch, dims);
    std::vector<Tensor> inputs = MakeInputs(session->input_specs(), bindings, 0);
    std::shared_ptr<const Plan> plan = session->PlanFor(inputs);
    std::cout << FormatBytes(PlannedArenaBytes(*plan)) << " (" << Bindings(bindings) << ")\n";
  } catch (const Failure& f) {
    if (f.exit_code == kExitBadInput && !dims.empty()) throw;  // a bad --dim is the user's
    std::cout << "unavailable: " << f.message << "\n";
  } catch (const Error& e) {
    std::cout << "unavailable: " << DescribeError(e) << "\n";
  }

  std::cout << "metadata:";
  if (model.metadata.empty()) std::cout << " (none)";
  std::cout << "\n";
  for (const auto& [key, value] : model.metadata) std::cout << "  " << key << ": " << value << "\n";
  return kExitOk;
}

}  // namespace

Command AddInfoCommand(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* sub = app.add_subcommand(
      "info", "Print a model's inputs, outputs, op histogram, parameter count, weight bytes, "
              "planned memory per run and metadata.");
  sub->add_option("FILE", o->file, "A .bronze model file or text IR")->required();
  sub->add_option("--batch", o->batch, "Batch size the planned memory is computed for")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--dim", o->dims, "SYM=VALUE: the size of another symbolic dim (repeatable)");
  return {sub, [o] { return RunInfo(*o); }};
}

}  // namespace bronze::cli
