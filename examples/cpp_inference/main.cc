// cpp_inference: load a bronze model, run it on .npy inputs (or generated ones) and print the
// outputs, with nothing but the installed public API (<bronze/bronze.h>).
//
//   cpp_inference MODEL [NAME=PATH.npy ...] [--batch N] [--threads T]
//                       [--output-dir DIR] [--save-inputs DIR]
//
// MODEL is a .bronze file (bronze::Model::Load) or a graph in the text IR (bronze::ParseGraph).
// Inputs not given are generated: f32/f64 element i of the k-th input is sin(0.37 * i + k),
// other dtypes zeros, symbolic dims bound to N (--batch, default 2). --output-dir writes
// DIR/<output>.npy like `bronze run`; --save-inputs writes the inputs used as DIR/<input>.npy, so
// `bronze run` or NumPy can be fed exactly the same values.
#include <bronze/bronze.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

bronze::Graph LoadGraph(const std::string& path) {
  if (bronze::IsModelFile(path)) return bronze::Model::Load(path).graph();
  std::ifstream file(path, std::ios::binary);
  if (!file) throw bronze::IoError("cannot open " + path);
  std::ostringstream text;
  text << file.rdbuf();
  return bronze::ParseGraph(text.str());
}

bronze::Tensor Generate(const bronze::TensorSpec& spec, int64_t batch, int k) {
  bronze::SymbolBindings bindings;
  for (const bronze::Dim& d : spec.shape.dims()) {
    for (const std::string& symbol : d.symbols()) bindings[symbol] = batch;
  }
  bronze::Tensor t = bronze::Tensor::Zeros(spec.dtype, spec.shape.Evaluate(bindings));
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = std::sin(0.37 * static_cast<double>(i) + k);
    if (spec.dtype == bronze::DType::kF32) t.data<float>()[i] = static_cast<float>(v);
    if (spec.dtype == bronze::DType::kF64) t.data<double>()[i] = v;
  }
  return t;
}

int Usage() {
  std::cerr << "usage: cpp_inference MODEL [NAME=PATH.npy ...] [--batch N] [--threads T] "
               "[--output-dir DIR] [--save-inputs DIR]\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string model_path = argv[1], output_dir, inputs_dir;
  bronze::NamedTensors inputs;
  int64_t batch = 2;
  int threads = 0;
  try {
    for (int i = 2; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.rfind("--", 0) == 0) {
        if (i + 1 >= argc) return Usage();
        std::string value = argv[++i];
        if (arg == "--batch") batch = std::stoll(value);
        else if (arg == "--threads") threads = std::stoi(value);
        else if (arg == "--output-dir") output_dir = value;
        else if (arg == "--save-inputs") inputs_dir = value;
        else return Usage();
      } else if (size_t eq = arg.find('='); eq != std::string::npos) {
        inputs[arg.substr(0, eq)] = bronze::ReadNpy(arg.substr(eq + 1));
      } else {
        return Usage();
      }
    }

    bronze::SessionOptions options;
    options.threads = threads;
    bronze::Session session(LoadGraph(model_path), options);
    int k = 0;
    for (const bronze::TensorSpec& spec : session.input_specs()) {
      if (!inputs.count(spec.name)) inputs[spec.name] = Generate(spec, batch, k);
      ++k;
      if (!inputs_dir.empty()) {
        std::filesystem::create_directories(inputs_dir);
        bronze::WriteNpy(inputs_dir + "/" + spec.name + ".npy", inputs.at(spec.name));
      }
    }

    bronze::NamedTensors outputs = session.Run(inputs);
    for (const bronze::TensorSpec& spec : session.output_specs()) {
      const bronze::Tensor& out = outputs.at(spec.name);
      std::cout << spec.name << " = " << out.ToString(16) << "\n";
      if (!output_dir.empty()) {
        // A '/' in an output name makes a subdirectory, as `bronze run` does.
        std::filesystem::path path = std::filesystem::path(output_dir) / (spec.name + ".npy");
        std::filesystem::create_directories(path.parent_path());
        bronze::WriteNpy(path.string(), out);
      }
    }
  } catch (const bronze::Error& e) {
    std::cerr << "cpp_inference: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "cpp_inference: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
