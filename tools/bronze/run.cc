// `bronze run FILE --input NAME=PATH.npy ... --output-dir DIR`: runs a model once on .npy inputs
// and writes one DIR/<output name>.npy per graph output ('/' in a name makes subdirectories,
// docs/cli.md). Input checks (missing, unknown, dtype, shape) are Session::Run's, so the errors
// name the placeholder and the expected against the given shape or dtype.
#include <iostream>
#include <memory>

#include "tools/bronze/cli.h"

namespace bronze::cli {
namespace {

struct RunOptions {
  std::string file;
  std::vector<std::string> inputs;
  std::string output_dir;
  int threads = 0;
  std::string device = "cpu";
  std::string backend;
};

int RunRun(const RunOptions& o) {
  Device device = InPhase(kExitUsage, [&] { return Device::Parse(o.device); });
  NamedTensors inputs;
  std::map<std::string, std::string> paths;
  for (const std::string& text : o.inputs) {
    auto [name, path] = SplitAssignment(text, "--input");
    if (!paths.emplace(name, path).second) {
      throw Failure{kExitUsage, "--input " + name + " given twice"};
    }
  }
  LoadedModel model = LoadModel(o.file);
  for (const auto& [name, path] : paths) {
    Tensor t = InPhase(kExitBadInput, [&, &p = path] { return ReadNpy(p); });
    inputs[name] = InRunPhase([&] { return t.To(device); });
  }

  SessionOptions options;
  options.threads = o.threads;
  options.device = device;
  options.backend = o.backend;
  auto session = InPhase(kExitInvalidModel, [&] {
    return std::make_unique<Session>(std::move(model.graph), options);
  });
  NamedTensors outputs = InRunPhase([&] { return session->Run(inputs); });

  InPhase(kExitIo, [&] {
    std::error_code ec;
    std::filesystem::create_directories(o.output_dir, ec);
    if (ec) throw IoError("cannot create output directory " + o.output_dir + ": " + ec.message());
    return 0;
  });
  for (const TensorSpec& spec : session->output_specs()) {
    std::filesystem::path path = OutputPath(o.output_dir, spec.name);
    const Tensor host = InRunPhase([&] { return outputs.at(spec.name).To(Device::CPU()); });
    InPhase(kExitRunFailed, [&] {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) throw IoError("cannot create directory " + path.parent_path().string() + ": " +
                            ec.message());
      WriteNpy(path.string(), host);
      return 0;
    });
    std::cout << spec.name << ": " << DTypeName(host.dtype()) << ShapeString(host.dims())
              << " -> " << path.string() << "\n";
  }
  return kExitOk;
}

}  // namespace

Command AddRunCommand(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand(
      "run", "Run a model on .npy inputs and write one .npy file per output.");
  sub->add_option("FILE", o->file, "A .bronze model file or text IR")->required();
  sub->add_option("-i,--input", o->inputs, "NAME=PATH.npy: the value of placeholder NAME (one "
                                            "per placeholder)");
  sub->add_option("-O,--output-dir", o->output_dir,
                  "Directory for the outputs, created if missing: DIR/<output>.npy, a '/' in "
                  "an output name making subdirectories")
      ->required();
  sub->add_option("-t,--threads", o->threads, "Kernel threads (0: every core)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--device", o->device, "cpu, cuda or cuda:K")->capture_default_str();
  sub->add_option("--backend", o->backend, "Kernels: \"\" (the fastest available) or \"ref\"");
  return {sub, [o] { return RunRun(*o); }};
}

}  // namespace bronze::cli
