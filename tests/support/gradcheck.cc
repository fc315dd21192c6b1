// Float64 central-difference gradient checks (see gradcheck.h).
#include "tests/support/gradcheck.h"

#include <cmath>
#include <sstream>

namespace bronze::testing {
namespace {

SessionOptions RefOptions(const std::string& backend) {
  SessionOptions o;
  o.threads = 1;
  o.backend = backend;
  return o;
}

Value LossOf(const Graph& g) {
  for (const GraphOutput& o : g.outputs()) {
    if (o.name == "loss") return o.value;
  }
  throw InvalidArgumentError("gradcheck: graph '" + g.name() + "' has no output 'loss'");
}

double Loss(const Session& s, const NamedTensors& inputs) {
  NamedTensors out = s.Run(inputs);
  return out.at("loss").GetAsDouble(0);
}

}  // namespace

NamedTensors AnalyticGradients(const Graph& graph, const std::vector<std::string>& wrt,
                               const NamedTensors& inputs, const std::string& backend) {
  Graph g = graph;
  std::vector<Value> values;
  for (const std::string& name : wrt) {
    NodeId id = g.FindNode(name);
    if (id == kNoNode) throw NotFoundError("gradcheck: no node '" + name + "'");
    values.push_back({id, 0});
  }
  Gradients grads = BuildGradients(g, LossOf(g), values);
  for (size_t i = 0; i < wrt.size(); ++i) {
    if (!grads.grads[i].valid()) throw InvalidArgumentError("gradcheck: no gradient for '" + wrt[i] + "'");
    g.AddOutput("grad:" + wrt[i], grads.grads[i]);
  }
  Session s(std::move(g), RefOptions(backend));
  NamedTensors out = s.Run(inputs);
  NamedTensors result;
  for (const std::string& name : wrt) result[name] = out.at("grad:" + name);
  return result;
}

std::string CheckGradients(const Graph& graph, const std::vector<std::string>& wrt,
                           const NamedTensors& inputs, const GradCheckOptions& options) {
  NamedTensors analytic;
  try {
    analytic = AnalyticGradients(graph, wrt, inputs, options.backend);
  } catch (const Error& e) {
    return std::string("building or running the gradient graph failed: ") + e.what();
  }
  Graph fwd = graph;
  // Only the loss is needed for the numeric side.
  std::vector<GraphOutput>& outs = fwd.mutable_outputs();
  std::erase_if(outs, [](const GraphOutput& o) { return o.name != "loss"; });
  Session s(std::move(fwd), RefOptions(options.backend));
  for (const std::string& name : wrt) {
    const Node& n = graph.node(graph.FindNode(name));
    const bool is_input = n.op->name == "placeholder";
    Tensor base = is_input ? inputs.at(name).Clone() : s.parameter(name).Clone();
    if (base.dtype() != DType::kF64) return "'" + name + "' is not float64";
    const Tensor& a = analytic.at(name);
    for (int64_t i = 0; i < base.numel(); ++i) {
      auto loss_at = [&](double delta) {
        Tensor x = base.Clone();
        x.data<double>()[i] += delta;
        if (is_input) {
          NamedTensors in = inputs;
          in[name] = x;
          return Loss(s, in);
        }
        s.set_parameter(name, x);
        return Loss(s, inputs);
      };
      const double numeric = (loss_at(options.eps) - loss_at(-options.eps)) / (2 * options.eps);
      const double got = a.data<double>()[i];
      if (!(std::abs(got - numeric) <= options.atol + options.rtol * std::abs(numeric))) {
        std::ostringstream why;
        why.precision(10);
        why << "d loss / d " << name << DimsToString(base.dims()) << " element " << i
            << ": autodiff " << got << ", central difference " << numeric;
        return why.str();
      }
    }
    if (!is_input) s.set_parameter(name, base);
  }
  return "";
}

}  // namespace bronze::testing
