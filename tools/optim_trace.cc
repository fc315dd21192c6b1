// optim_trace: runs an optimizer update graph for a few steps and prints every parameter and
// optimizer state after each step, for tests/python/test_optimizers_numpy.py to compare with
// NumPy implementations of the torch.optim algorithms.
//
//   optim_trace --optimizer adam --dtype f64 [--beta1 0.8 --amsgrad 1 ...] < input
//
// Hyperparameter flags set the OptimizerSpec fields of the same name (momentum, dampening,
// nesterov, weight_decay, beta1, beta2, eps, amsgrad, alpha, centered, lr_decay,
// initial_accumulator_value) on top of PyTorch's defaults for the optimizer. The input is
// whitespace-separated numbers: the size n0 of parameter p0 and its n0 initial values, the same
// for p1, the number of steps, then per step the learning rate, n0 gradient values of p0 and n1
// of p1. The graph (two parameters, so the states are shown to be per parameter; gradient
// placeholders g0, g1; an f32 learning-rate placeholder lr) compiles once: every step feeds a
// new lr through the same plan. Output, per step: "step <k> lr <lr>" then one line
// "<name> <values...>" per parameter and state (node order, %.17g), and at the end
// "num_compiles <n>".
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "bronze/bronze.h"
#include "graph/optimizer.h"

namespace {

using bronze::DType;
using bronze::Tensor;

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "optim_trace: %s\n", msg.c_str());
  std::exit(2);
}

bronze::OptimizerSpec SpecFromFlags(const std::map<std::string, std::string>& flags) {
  auto it = flags.find("optimizer");
  if (it == flags.end()) Die("--optimizer sgd|adam|adamw|rmsprop|adagrad is required");
  bronze::OptimizerSpec s;
  const std::string& kind = it->second;
  if (kind == "sgd")
    s = bronze::OptimizerSpec::SGD();
  else if (kind == "adam")
    s = bronze::OptimizerSpec::Adam();
  else if (kind == "adamw")
    s = bronze::OptimizerSpec::AdamW();
  else if (kind == "rmsprop")
    s = bronze::OptimizerSpec::RMSprop();
  else if (kind == "adagrad")
    s = bronze::OptimizerSpec::Adagrad();
  else
    Die("unknown optimizer '" + kind + "'");
  std::map<std::string, double*> reals = {
      {"momentum", &s.momentum},
      {"dampening", &s.dampening},
      {"weight_decay", &s.weight_decay},
      {"beta1", &s.beta1},
      {"beta2", &s.beta2},
      {"eps", &s.eps},
      {"alpha", &s.alpha},
      {"lr_decay", &s.lr_decay},
      {"initial_accumulator_value", &s.initial_accumulator_value}};
  std::map<std::string, bool*> bools = {
      {"nesterov", &s.nesterov}, {"amsgrad", &s.amsgrad}, {"centered", &s.centered}};
  for (const auto& [name, value] : flags) {
    if (name == "optimizer" || name == "dtype") continue;
    if (auto r = reals.find(name); r != reals.end()) {
      *r->second = std::stod(value);
    } else if (auto b = bools.find(name); b != bools.end()) {
      *b->second = std::stoi(value) != 0;
    } else {
      Die("unknown flag --" + name);
    }
  }
  return s;
}

std::vector<double> ReadValues(std::istream& in, size_t n, const char* what) {
  std::vector<double> v(n);
  for (double& x : v) {
    if (!(in >> x)) Die(std::string("input ends inside ") + what);
  }
  return v;
}

size_t ReadSize(std::istream& in, const char* what) {
  long long n;
  if (!(in >> n) || n < 0) Die(std::string("expected a count for ") + what);
  return static_cast<size_t>(n);
}

Tensor MakeTensor(DType dtype, const std::vector<double>& v) {
  bronze::Dims dims = {static_cast<int64_t>(v.size())};
  if (dtype == DType::kF64) return Tensor::FromVector<double>(dims, v);
  return Tensor::FromVector<float>(dims, std::vector<float>(v.begin(), v.end()));
}

void PrintTensor(const std::string& name, const Tensor& t) {
  std::printf("%s", name.c_str());
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (t.dtype() == DType::kI64) {
      std::printf(" %lld", static_cast<long long>(t.data<int64_t>()[i]));
    } else {
      std::printf(" %.17g", t.GetAsDouble(i));
    }
  }
  std::printf("\n");
}

int Main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc)
      Die("usage: optim_trace --optimizer KIND [--flag value]... < input");
    flags[key.substr(2)] = argv[i + 1];
  }
  const bronze::OptimizerSpec spec = SpecFromFlags(flags);
  DType dtype = DType::kF32;
  if (flags.count("dtype")) {
    if (flags["dtype"] == "f64")
      dtype = DType::kF64;
    else if (flags["dtype"] != "f32")
      Die("--dtype must be f32 or f64");
  }

  std::vector<std::vector<double>> initial;
  for (const char* what : {"p0", "p1"})
    initial.push_back(ReadValues(std::cin, ReadSize(std::cin, what), what));
  const size_t steps = ReadSize(std::cin, "steps");

  bronze::Graph graph("optim_trace");
  bronze::GraphBuilder b(graph);
  bronze::Value lr = b.Placeholder("lr", DType::kF32, bronze::Shape());
  for (size_t k = 0; k < initial.size(); ++k) {
    const std::string id = std::to_string(k);
    bronze::Value p = b.Parameter("p" + id, MakeTensor(dtype, initial[k]));
    bronze::Value g = b.Placeholder(
        "g" + id, dtype, bronze::Shape::FromDims({static_cast<int64_t>(initial[k].size())}));
    bronze::NodeId update = bronze::AppendOptimizerUpdate(b, p, g, lr, spec);
    b.Output("p" + id + "_new", bronze::Value{update, 0});
  }
  bronze::Session session(graph);
  std::vector<std::string> printed;  // parameters and states in node order
  for (bronze::NodeId id : session.graph().node_ids()) {
    const bronze::Node& n = session.graph().node(id);
    if (n.op->name == "parameter" || n.op->name == "state") printed.push_back(n.name);
  }
  std::printf("spec %s\n", spec.ToString().c_str());
  for (size_t s = 0; s < steps; ++s) {
    double lr_value;
    if (!(std::cin >> lr_value)) Die("input ends before step " + std::to_string(s + 1));
    bronze::NamedTensors feed = {{"lr", Tensor::Scalar<float>(static_cast<float>(lr_value))}};
    for (size_t k = 0; k < initial.size(); ++k) {
      feed["g" + std::to_string(k)] =
          MakeTensor(dtype, ReadValues(std::cin, initial[k].size(), "a gradient"));
    }
    session.Run(feed);
    std::printf("step %zu lr %.17g\n", s + 1, static_cast<double>(static_cast<float>(lr_value)));
    for (const std::string& name : printed) PrintTensor(name, session.parameter(name));
  }
  std::printf("num_compiles %lld\n", static_cast<long long>(session.num_compiles()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "optim_trace: %s\n", e.what());
    return 1;
  }
}
