// The shared pieces of the `bronze` command line (tools/bronze/cli.h).
#include "tools/bronze/cli.h"

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace bronze::cli {

std::string DescribeError(const Error& error) {
  std::string text = std::string(ErrorCodeName(error.code())) + " error (code " +
                     std::to_string(static_cast<int>(error.code())) + "): " + error.what();
  if (const auto* format = dynamic_cast<const ModelFormatError*>(&error)) {
    text += "\n  load error: " + std::string(LoadErrorCodeName(format->load_code())) + " (" +
            std::to_string(static_cast<int>(format->load_code())) + ")";
    if (!format->field_path().empty()) text += " at " + format->field_path();
  }
  return text;
}

int ExitCodeFor(const Error& error, int phase_code) {
  if (error.code() == ErrorCode::kIo) return kExitIo;
  if (error.code() == ErrorCode::kInternal) return kExitInternal;
  return phase_code;
}

int RunPhaseExitCode(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kShape:
    case ErrorCode::kType:
    case ErrorCode::kNotFound:
      return kExitBadInput;
    default:
      return kExitRunFailed;
  }
}

LoadedModel LoadModel(const std::string& path) {
  return InPhase(kExitInvalidModel, [&] {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw IoError("cannot open " + path + ": no such file");
    if (std::filesystem::is_directory(path, ec))
      throw IoError("cannot read " + path + ": a directory");
    LoadedModel loaded;
    if (IsModelFile(path)) {
      Model model = Model::Load(path);
      loaded.metadata = model.metadata();
      loaded.graph = std::move(model.mutable_graph());
      loaded.format = "bronze";
    } else {
      std::ifstream f(path, std::ios::binary);
      if (!f) throw IoError("cannot open " + path);
      std::ostringstream text;
      text << f.rdbuf();
      if (f.bad()) throw IoError("cannot read " + path);
      try {
        loaded.graph = ParseGraph(text.str());
      } catch (const ParseError& e) {
        // Name the file: the parser knows only line and column.
        throw ParseError(path + ": " + e.message() +
                         " (not a .bronze file, so it was read as text IR)");
      }
      loaded.format = "text";
    }
    Verify(loaded.graph);
    return loaded;
  });
}

std::pair<std::string, std::string> SplitAssignment(const std::string& text,
                                                    const std::string& option) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw Failure{kExitUsage, option + " expects NAME=VALUE, got '" + text + "'"};
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

SymbolBindings ParseDims(const std::vector<std::string>& dims) {
  SymbolBindings bindings;
  for (const std::string& d : dims) {
    auto [name, value] = SplitAssignment(d, "--dim");
    int64_t v = -1;
    size_t used = 0;
    try {
      v = std::stoll(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || v < 0) {
      throw Failure{kExitUsage, "--dim " + d + ": the value must be an integer >= 0"};
    }
    if (!bindings.emplace(name, v).second) {
      throw Failure{kExitUsage, "--dim " + name + " given twice"};
    }
  }
  return bindings;
}

std::vector<std::string> BatchSymbols(const std::vector<TensorSpec>& inputs) {
  std::set<std::string> names;
  for (const TensorSpec& spec : inputs) {
    if (spec.shape.rank() == 0) continue;
    const Dim& d = spec.shape[0];
    if (d.symbols().size() == 1 && d.coefficient() == 1) names.insert(d.symbols()[0]);
  }
  return {names.begin(), names.end()};
}

SymbolBindings BindSymbols(const std::vector<TensorSpec>& inputs, int64_t batch,
                           const SymbolBindings& dims) {
  SymbolBindings bindings = dims;
  for (const std::string& s : BatchSymbols(inputs)) bindings.emplace(s, batch);
  std::set<std::string> used;
  for (const TensorSpec& spec : inputs) {
    for (const Dim& d : spec.shape.dims()) used.insert(d.symbols().begin(), d.symbols().end());
  }
  // A --dim naming no symbol first: a typo is the likelier cause of what follows.
  for (const auto& [name, value] : dims) {
    if (!used.count(name)) {
      std::string known;
      for (const std::string& s : used) known += (known.empty() ? "" : ", ") + s;
      throw Failure{kExitBadInput, "--dim " + name + ": no input has a dim named " + name +
                                       " (symbols: " + (known.empty() ? "none" : known) + ")"};
    }
  }
  for (const TensorSpec& spec : inputs) {
    for (int64_t axis = 0; axis < spec.shape.rank(); ++axis) {
      for (const std::string& s : spec.shape[axis].symbols()) {
        if (!bindings.count(s)) {
          throw Failure{kExitBadInput,
                        "input '" + spec.name + "' has the symbolic dim " +
                            spec.shape[axis].ToString() + " at axis " + std::to_string(axis) +
                            " (shape " + spec.shape.ToString() + "): give its size with --dim " +
                            s + "=VALUE"};
        }
      }
    }
  }
  return bindings;
}

std::vector<Tensor> MakeInputs(const std::vector<TensorSpec>& inputs,
                               const SymbolBindings& bindings, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<Tensor> tensors;
  for (const TensorSpec& spec : inputs) {
    Dims dims = InPhase(kExitBadInput, [&] { return spec.shape.Evaluate(bindings); });
    Tensor t = InPhase(kExitBadInput, [&] { return Tensor::Zeros(spec.dtype, dims); });
    if (spec.dtype == DType::kF32) {
      float* p = t.data<float>();
      for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(uniform(rng));
    } else if (spec.dtype == DType::kF64) {
      double* p = t.data<double>();
      for (int64_t i = 0; i < t.numel(); ++i) p[i] = uniform(rng);
    }
    tensors.push_back(std::move(t));
  }
  return tensors;
}

size_t PlannedArenaBytes(const Plan& plan) { return plan.arena_bytes(); }

std::filesystem::path OutputPath(const std::filesystem::path& dir, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Failure{kExitInvalidModel,
                   "output name '" + name + "' cannot be a file name under the output "
                   "directory: " + why};
  };
  if (name.empty()) throw bad("it is empty");
  if (name.find('\0') != std::string::npos) throw bad("it contains a NUL byte");
  std::filesystem::path path = dir;
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    std::string segment = name.substr(start, slash == std::string::npos ? std::string::npos
                                                                        : slash - start);
    if (segment.empty()) throw bad("an empty path segment (leading, trailing or double '/')");
    if (segment == "." || segment == "..") throw bad("a '" + segment + "' path segment");
    if (slash == std::string::npos) {
      path /= segment + ".npy";
      break;
    }
    path /= segment;
    start = slash + 1;
  }
  return path;
}

std::string FormatBytes(size_t bytes) {
  char buf[64];
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024.0 && u < 3) {
    v /= 1024.0;
    ++u;
  }
  if (u < 0) return std::to_string(bytes) + " bytes";
  std::snprintf(buf, sizeof(buf), "%zu bytes (%.1f %s)", bytes, v, units[u]);
  return buf;
}

std::string ShapeString(const Dims& dims) { return DimsToString(dims); }

}  // namespace bronze::cli
