// `bronze validate FILE`: loads and verifies a model (a .bronze file through the loader's
// validation, text IR through the parser) and compiles it with the inference pipeline; prints
// "ok" and exits 0, or prints the error code and message and exits non-zero (docs/cli.md).
#include <iostream>
#include <memory>

#include "tools/bronze/cli.h"

namespace bronze::cli {

Command AddValidateCommand(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "validate", "Check that a model loads, verifies and compiles; print \"ok\" or the error.");
  sub->add_option("FILE", *file, "A .bronze model file or text IR")->required();
  return {sub, [file] {
            LoadedModel model = LoadModel(*file);
            SessionOptions options;
            options.threads = 1;
            // The inference pipeline too: what `bronze run` will do to the graph.
            InPhase(kExitInvalidModel,
                    [&] { return std::make_unique<Session>(model.graph, options); });
            std::cout << "ok\n";
            return static_cast<int>(kExitOk);
          }};
}

}  // namespace bronze::cli
