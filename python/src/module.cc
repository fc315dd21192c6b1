// The extension module bronze._bronze: thin bindings over the C++ API. The bronze package
// (python/bronze) builds layers, Model and the training loop on top of these few classes:
//   Graph    a graph under construction (GraphBuilder: every op checked and typed at once)
//   Session  compile once, run on NumPy arrays (the GIL is released while kernels run)
//   Trainer  a compiled training step (forward, loss, backward, optimizer update in place)
// plus the op registry (op_schemas: bz.ops is generated from it) and stand-alone shape inference
// (infer_types), so a layer call on a symbolic tensor fails on the user's line.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <sstream>

#include "bronze/bronze.h"
#include "convert.h"
#include "graph/ops/grad_util.h"

namespace bronze::python {
namespace {

// A graph and the builder that adds checked nodes to it.
struct PyGraph {
  explicit PyGraph(const std::string& name) : graph(name), builder(graph) {}
  explicit PyGraph(Graph g) : graph(std::move(g)), builder(graph) {}
  Graph graph;
  GraphBuilder builder;
};

py::tuple TypeToPython(const TensorType& t) {
  return py::make_tuple(NumpyDTypeName(t.dtype), ShapeToPython(t.shape));
}

py::dict SchemaToPython(const OpSchema& op) {
  py::dict d;
  d["name"] = op.name;
  d["id"] = op.id;
  d["doc"] = op.doc;
  d["inputs"] = op.input_names;
  d["min_inputs"] = op.min_inputs;
  d["max_inputs"] = op.max_inputs;
  d["num_outputs"] = op.num_outputs;
  py::list attrs;
  for (const AttrSpec& a : op.attrs) {
    py::dict ad;
    ad["name"] = a.name;
    ad["type"] = std::string(AttrTypeName(a.type));
    ad["required"] = !a.default_value.has_value();
    ad["default"] = a.default_value ? AttributeToPython(*a.default_value) : py::none();
    attrs.append(ad);
  }
  d["attrs"] = attrs;
  d["differentiable"] = op.differentiability == Differentiability::kDifferentiable;
  d["is_source"] = op.is_source;
  d["has_side_effects"] = op.has_side_effects;
  return d;
}

std::vector<Value> ValuesFromPython(const py::handle& inputs) {
  std::vector<Value> out;
  for (py::handle v : inputs) out.push_back(v.cast<Value>());
  return out;
}

OptimizerSpec OptimizerFromPython(const py::dict& d) {
  auto get = [&](const char* key, double fallback) {
    return d.contains(key) && !d[key].is_none() ? d[key].cast<double>() : fallback;
  };
  auto flag = [&](const char* key) { return d.contains(key) && d[key].cast<bool>(); };
  std::string kind = d.contains("kind") ? d["kind"].cast<std::string>() : "sgd";
  OptimizerSpec spec;
  if (kind == "sgd") {
    spec = OptimizerSpec::SGD(get("momentum", 0), get("dampening", 0), get("weight_decay", 0),
                              flag("nesterov"));
  } else if (kind == "adam" || kind == "adamw") {
    double b1 = 0.9, b2 = 0.999;
    if (d.contains("betas")) {
      auto betas = d["betas"].cast<std::pair<double, double>>();
      b1 = betas.first;
      b2 = betas.second;
    }
    spec = kind == "adam" ? OptimizerSpec::Adam(b1, b2, get("eps", 1e-8), get("weight_decay", 0),
                                                flag("amsgrad"))
                          : OptimizerSpec::AdamW(b1, b2, get("eps", 1e-8),
                                                 get("weight_decay", 0.01), flag("amsgrad"));
  } else if (kind == "rmsprop") {
    spec = OptimizerSpec::RMSprop(get("alpha", 0.99), get("eps", 1e-8), get("weight_decay", 0),
                                  get("momentum", 0), flag("centered"));
  } else if (kind == "adagrad") {
    spec = OptimizerSpec::Adagrad(get("lr_decay", 0), get("weight_decay", 0),
                                  get("initial_accumulator_value", 0), get("eps", 1e-10));
  } else {
    throw InvalidArgumentError("unknown optimizer '" + kind +
                               "' (sgd, adam, adamw, rmsprop, adagrad)");
  }
  spec.lr = get("lr", spec.lr);
  return spec;
}

NamedTensors TensorsFromDict(const py::dict& d) {
  NamedTensors out;
  for (auto [k, v] : d) {
    std::string name = k.cast<std::string>();
    out[name] = TensorFromArray(v, "input '" + name + "'");
  }
  return out;
}

py::dict DictFromTensors(const NamedTensors& tensors) {
  py::dict d;
  for (const auto& [name, t] : tensors) d[py::str(name)] = ArrayFromTensor(t);
  return d;
}

// `target.Profile` (a Session or a Trainer) on a dict of arrays, the GIL released while it runs;
// the array views are dropped before the GIL is taken back (their deleters take it).
template <class Target>
ProfileReport ProfileWithoutGil(Target& target, const py::dict& inputs, int runs, int warmup) {
  NamedTensors in = TensorsFromDict(inputs);
  py::gil_scoped_release release;
  ProfileReport report = target.Profile(in, runs, warmup);
  in.clear();
  return report;
}

py::list SpecsToPython(const std::vector<TensorSpec>& specs) {
  py::list out;
  for (const TensorSpec& s : specs) {
    out.append(py::make_tuple(s.name, NumpyDTypeName(s.dtype), ShapeToPython(s.shape)));
  }
  return out;
}

SessionOptions MakeSessionOptions(int threads, const std::string& pipeline,
                                  const std::string& pass_options, const std::string& backend,
                                  const std::string& device) {
  SessionOptions o;
  o.threads = threads;
  if (!pipeline.empty()) o.pipeline = ParsePipeline(pipeline);
  if (!pass_options.empty()) o.pass_options = PipelineOptions::Parse(pass_options);
  o.backend = backend;
  o.device = Device::Parse(device);
  return o;
}

}  // namespace
}  // namespace bronze::python

using namespace bronze;          // NOLINT
using namespace bronze::python;  // NOLINT

PYBIND11_MODULE(_bronze, m) {
  m.doc() = "bronze's C++ core (graph builder, sessions, training steps); use the bronze package";
  RegisterErrorTranslator();
  m.attr("__version__") = kVersion;

  m.def("op_schemas", [] {
    py::list out;
    for (const OpSchema* op : OpRegistry::Global().All()) out.append(SchemaToPython(*op));
    return out;
  }, "Every registered op's schema as a dict (name, id, doc, inputs, attrs, ...).");

  m.def("infer_types",
        [](const std::string& op_name, const py::list& inputs, const py::dict& attrs,
           const std::string& node_name, const std::string& location) {
          const OpSchema& op = OpRegistry::Global().Get(op_name);
          std::vector<TensorType> types;
          for (py::handle t : inputs) {
            auto pair = t.cast<py::tuple>();
            types.push_back({DTypeFromPython(pair[0]), ShapeFromPython(pair[1])});
          }
          AttrMap resolved = ResolveAttributes(op, AttributesFromPython(op, attrs));
          py::list out;
          for (const TensorType& t : InferOutputTypes(op, resolved, types, node_name, location)) {
            out.append(TypeToPython(t));
          }
          return out;
        },
        py::arg("op"), py::arg("inputs"), py::arg("attrs"), py::arg("name") = "",
        py::arg("location") = "",
        "Output (dtype, shape) pairs of `op` on inputs given as (dtype, shape) pairs; raises the "
        "op's ShapeError / DTypeError / AttributeValueError naming `name` and `location`.");

  py::class_<Value>(m, "Value")
      .def_readonly("node", &Value::node)
      .def_readonly("index", &Value::index)
      .def("__eq__", [](const Value& a, const Value& b) { return a == b; })
      .def("__hash__", [](const Value& v) { return std::hash<int64_t>()((int64_t{v.node} << 32) | v.index); })
      .def("__repr__", [](const Value& v) {
        return "Value(" + std::to_string(v.node) + ", " + std::to_string(v.index) + ")";
      });

  py::class_<PyGraph>(m, "Graph")
      .def(py::init<const std::string&>(), py::arg("name") = "main")
      .def_property_readonly("name", [](const PyGraph& g) { return g.graph.name(); })
      .def("placeholder",
           [](PyGraph& g, const std::string& name, const py::object& dtype, const py::object& shape) {
             return g.builder.Placeholder(name, DTypeFromPython(dtype), ShapeFromPython(shape));
           },
           py::arg("name"), py::arg("dtype"), py::arg("shape"))
      .def("parameter",
           [](PyGraph& g, const std::string& name, const py::object& value) {
             return g.builder.Parameter(name, TensorFromArray(value, name).Clone());
           },
           py::arg("name"), py::arg("value"))
      .def("state",
           [](PyGraph& g, const std::string& name, const py::object& value) {
             return g.builder.State(name, TensorFromArray(value, name).Clone());
           },
           py::arg("name"), py::arg("value"))
      .def("constant",
           [](PyGraph& g, const py::object& value, const std::string& name) {
             return g.builder.Constant(TensorFromArray(value, "constant " + name), name);
           },
           py::arg("value"), py::arg("name") = "")
      .def("op",
           [](PyGraph& g, const std::string& op_name, const py::list& inputs, const py::dict& attrs,
              const std::string& name, const std::string& location) {
             const OpSchema& op = OpRegistry::Global().Get(op_name);
             ScopedLocation at(g.builder, location);
             // A layer called twice records the same names twice: the second gets a suffix.
             std::string unique = name.empty() ? name : g.graph.UniqueName(name);
             return g.builder.Op(op_name, ValuesFromPython(inputs), AttributesFromPython(op, attrs),
                                 unique);
           },
           py::arg("op"), py::arg("inputs"), py::arg("attrs") = py::dict(), py::arg("name") = "",
           py::arg("location") = "")
      .def("output", [](PyGraph& g, const std::string& name, Value v) { g.builder.Output(name, v); })
      .def("type", [](const PyGraph& g, Value v) { return TypeToPython(g.graph.type(v)); })
      .def("node_name", [](const PyGraph& g, Value v) { return g.graph.node(v.node).name; })
      .def("push_scope", [](PyGraph& g, const std::string& s) { g.builder.PushScope(s); })
      .def("pop_scope", [](PyGraph& g) { g.builder.PopScope(); })
      .def("parameters", [](const PyGraph& g) {
        std::vector<std::string> names;
        for (NodeId id : g.graph.Parameters()) names.push_back(g.graph.node(id).name);
        return names;
      })
      .def("output_names", [](const PyGraph& g) {
        std::vector<std::string> names;
        for (const GraphOutput& o : g.graph.outputs()) names.push_back(o.name);
        return names;
      })
      .def("num_nodes", [](const PyGraph& g) { return g.graph.num_nodes(); })
      .def("inputs", [](const PyGraph& g) {
        py::list out;
        for (NodeId id : g.graph.Placeholders()) {
          const Node& n = g.graph.node(id);
          out.append(py::make_tuple(n.name, NumpyDTypeName(n.outputs[0].dtype),
                                    ShapeToPython(n.outputs[0].shape)));
        }
        return out;
      }, "(name, dtype, shape) of every placeholder, in graph order.")
      .def("values", [](const PyGraph& g) {
        py::dict out;
        for (NodeId id : g.graph.node_ids()) {
          const Node& n = g.graph.node(id);
          if ((n.op_name() == "parameter" || n.op_name() == "state") && n.data.defined()) {
            out[py::str(n.name)] = ArrayFromTensor(n.data.Clone());
          }
        }
        return out;
      }, "The initial values of every parameter and state node, by name (copies).")
      .def("save", [](const PyGraph& g, const std::string& path, const std::map<std::string, std::string>& metadata) {
        SaveOptions options;
        for (const auto& [k, v] : metadata) options.metadata[k] = v;
        py::gil_scoped_release release;
        Model(g.graph).Save(path, options);
      }, py::arg("path"), py::arg("metadata") = std::map<std::string, std::string>{},
         "Writes the graph and its weights as a .bronze file (atomically).")
      .def("text", [](const PyGraph& g, bool elide_data) {
        return PrintGraph(g.graph, TextOptions{.elide_data = elide_data});
      }, py::arg("elide_data") = true)
      .def("dot", [](const PyGraph& g) { return ToDot(g.graph); })
      .def("verify", [](const PyGraph& g) { Verify(g.graph); })
      .def("set_training", [](PyGraph& g, bool training) { SetTrainingMode(g.graph, training); })
      .def("add_gradients",
           [](PyGraph& g, const std::string& loss, const std::vector<std::string>& wrt) {
             Value loss_value;
             for (const GraphOutput& o : g.graph.outputs()) {
               if (o.name == loss) loss_value = o.value;
             }
             if (!loss_value.valid()) throw NotFoundError("the graph has no output '" + loss + "'");
             std::vector<Value> values;
             for (const std::string& name : wrt) {
               NodeId id = g.graph.FindNode(name);
               if (id == kNoNode) throw NotFoundError("no parameter named '" + name + "'");
               values.push_back({id, 0});
             }
             Gradients grads = BuildGradients(g.graph, loss_value, values);
             std::vector<std::string> names;
             for (size_t i = 0; i < wrt.size(); ++i) {
               Value gv = grads.grads[i];
               if (!gv.valid()) gv = grad::Zeros(g.builder, g.graph.type(values[i]));
               std::string out = "grad/" + wrt[i];
               g.builder.Output(out, gv);
               names.push_back(out);
             }
             return names;
           },
           py::arg("loss"), py::arg("wrt"),
           "Appends the backward graph of output `loss` and outputs grad/<name> for each name in "
           "`wrt` (zeros where the loss does not depend on it).");

  m.def("load", [](const std::string& path) {
    Model model;
    {
      py::gil_scoped_release release;
      model = Model::Load(path);
    }
    py::dict metadata;
    for (const auto& [k, v] : model.metadata()) metadata[py::str(k)] = v;
    return py::make_tuple(std::make_unique<PyGraph>(model.graph()), metadata);
  }, py::arg("path"), "Loads a .bronze file: (Graph, metadata dict). Raises FormatError.");

  m.def("save_checkpoint",
        [](const std::string& path, const py::dict& tensors, int64_t step,
           const std::map<std::string, std::string>& metadata) {
          Checkpoint c;
          for (auto& [name, value] : TensorsFromDict(tensors)) c.tensors[name] = value.Clone();
          c.step = step;
          c.metadata.insert(metadata.begin(), metadata.end());
          py::gil_scoped_release release;
          SaveCheckpoint(path, c);
        },
        py::arg("path"), py::arg("tensors"), py::arg("step"),
        py::arg("metadata") = std::map<std::string, std::string>{},
        "Writes a checkpoint file atomically (temp file, fsync, rename). Raises IOError.");
  m.def("load_checkpoint", [](const std::string& path) {
    Checkpoint c;
    {
      py::gil_scoped_release release;
      c = LoadCheckpoint(path);
    }
    NamedTensors tensors(c.tensors.begin(), c.tensors.end());
    py::dict metadata;
    for (const auto& [k, v] : c.metadata) metadata[py::str(k)] = v;
    return py::make_tuple(DictFromTensors(tensors), c.step, metadata);
  }, py::arg("path"), "Reads a checkpoint: (tensors dict, step, metadata dict). Raises FormatError.");

  py::class_<StepProfile>(m, "StepProfile", "One step of a ProfileReport.")
      .def_readonly("node", &StepProfile::node)
      .def_readonly("op", &StepProfile::op)
      .def_readonly("detail", &StepProfile::detail)
      .def_readonly("shape", &StepProfile::shape)
      .def_readonly("location", &StepProfile::location)
      .def_readonly("flops", &StepProfile::flops)
      .def_readonly("bytes", &StepProfile::bytes)
      .def_readonly("min_seconds", &StepProfile::min_seconds)
      .def_readonly("median_seconds", &StepProfile::median_seconds)
      .def("__repr__", [](const StepProfile& p) {
        return "<StepProfile " + p.node + " (" + p.op + ") median " +
               std::to_string(p.median_seconds * 1e6) + " us>";
      });
  py::class_<ProfileReport>(m, "ProfileReport",
                            "Per-step times of a plan (Session.profile, Model.profile); str() "
                            "is the table of the slowest steps.")
      .def_readonly("runs", &ProfileReport::runs)
      .def_readonly("threads", &ProfileReport::threads)
      .def_readonly("run_min_seconds", &ProfileReport::run_min_seconds)
      .def_readonly("run_median_seconds", &ProfileReport::run_median_seconds)
      .def_readonly("steps", &ProfileReport::steps)
      .def_property_readonly("step_seconds", &ProfileReport::step_seconds)
      .def("table", &ProfileReport::ToString, py::arg("top") = 0,
           "The `top` slowest steps (0: all) as a text table.")
      .def("to_json", &ProfileReport::ToJson)
      .def("__str__", [](const ProfileReport& r) { return r.ToString(15); });

  py::class_<Session>(m, "Session")
      .def(py::init([](const PyGraph& g, int threads, const std::string& pipeline,
                       const std::string& pass_options, const std::string& backend,
                       const std::string& device) {
             return std::make_unique<Session>(
                 g.graph, MakeSessionOptions(threads, pipeline, pass_options, backend, device));
           }),
           py::arg("graph"), py::arg("threads") = 0, py::arg("pipeline") = "",
           py::arg("pass_options") = "", py::arg("backend") = "", py::arg("device") = "cpu")
      .def("run",
           [](const Session& s, const py::dict& inputs) {
             NamedTensors in = TensorsFromDict(inputs);
             NamedTensors out;
             {
               py::gil_scoped_release release;
               out = s.Run(in);
               in.clear();  // drops the views of the arrays (their deleters take the GIL)
             }
             return DictFromTensors(out);
           },
           py::arg("inputs"))
      .def("parameter", [](const Session& s, const std::string& name) {
        return ArrayFromTensor(s.parameter(name).Clone());
      })
      .def("set_parameter", [](Session& s, const std::string& name, const py::object& value) {
        s.set_parameter(name, TensorFromArray(value, name).Clone());
      })
      .def_property_readonly("inputs", [](const Session& s) { return SpecsToPython(s.input_specs()); })
      .def_property_readonly("outputs", [](const Session& s) { return SpecsToPython(s.output_specs()); })
      .def_property_readonly("threads", &Session::threads)
      .def_property_readonly("num_compiles", &Session::num_compiles)
      .def("explain",
           [](const Session& s, const std::vector<std::vector<int64_t>>& input_dims) {
             std::vector<Dims> dims(input_dims.begin(), input_dims.end());
             return s.Explain(dims);
           },
           py::arg("input_dims") = std::vector<std::vector<int64_t>>{},
           "The compile explained: pipeline, pass remarks (fusion decisions), fused groups, "
           "scheduler choice, arena size for inputs of these dims (one list per input).")
      .def("profile",
           [](const Session& s, const py::dict& inputs, int runs, int warmup) {
             return ProfileWithoutGil(s, inputs, runs, warmup);
           },
           py::arg("inputs"), py::arg("runs") = 20, py::arg("warmup") = 3,
           "Times every step of the plan for these inputs over `runs` runs after `warmup` "
           "untimed ones (runtime/profile.h).")
      .def("graph_text", [](const Session& s) {
        return PrintGraph(s.graph(), TextOptions{.elide_data = true});
      });

  py::class_<Trainer>(m, "Trainer")
      .def(py::init([](const PyGraph& g, const py::dict& optimizer, const std::string& loss,
                       double clip_value, double clip_norm, int threads) {
             TrainerOptions o;
             o.training.loss = loss;
             o.training.optimizer = OptimizerFromPython(optimizer);
             o.training.clip_value = clip_value;
             o.training.clip_norm = clip_norm;
             o.lr = o.training.optimizer.lr;
             o.session.threads = threads;
             return std::make_unique<Trainer>(g.graph, std::move(o));
           }),
           py::arg("graph"), py::arg("optimizer"), py::arg("loss") = "loss",
           py::arg("clip_value") = 0.0, py::arg("clip_norm") = 0.0, py::arg("threads") = 0)
      .def("step",
           [](Trainer& t, const py::dict& batch) {
             NamedTensors in = TensorsFromDict(batch);
             NamedTensors out;
             {
               py::gil_scoped_release release;
               out = t.Step(in);
               in.clear();
             }
             return DictFromTensors(out);
           },
           py::arg("batch"))
      .def("profile",
           [](Trainer& t, const py::dict& batch, int runs, int warmup) {
             return ProfileWithoutGil(t, batch, runs, warmup);
           },
           py::arg("batch"), py::arg("runs") = 20, py::arg("warmup") = 3,
           "Times each step of the training step: warmup + runs real steps on `batch` at the "
           "current learning rate (runtime/profile.h).")
      .def("explain",
           [](const Trainer& t, const py::dict& batch) { return t.Explain(TensorsFromDict(batch)); },
           py::arg("batch"),
           "The training step's compile explained: pipeline, pass remarks (fusion decisions, "
           "optimizer updates included), fused groups, schedule and arena for batches shaped "
           "like `batch`. Runs nothing.")
      .def("parameter", [](const Trainer& t, const std::string& name) {
        return ArrayFromTensor(t.parameter(name).Clone());
      })
      .def("state", [](const Trainer& t) { return DictFromTensors(t.State()); },
           "Every parameter and state tensor (optimizer moments, running statistics) by name.")
      .def("restore",
           [](Trainer& t, const py::dict& state, int64_t step) {
             t.Restore(TensorsFromDict(state), step);
           },
           py::arg("state"), py::arg("step"),
           "Puts back what state() returned and the step counter.")
      .def_property_readonly("parameters", &Trainer::parameters)
      .def_property_readonly("steps", &Trainer::step)
      .def_property_readonly("learning_rate", &Trainer::learning_rate)
      .def("set_learning_rate",
           [](Trainer& t, double lr) { t.set_schedule(ConstantLr(lr)); }, py::arg("lr"));
}
