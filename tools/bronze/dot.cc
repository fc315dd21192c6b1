// `bronze dot FILE`: the model's graph in Graphviz DOT on stdout (graph/dot.h), e.g.
// `bronze dot model.bronze | dot -Tsvg > model.svg`.
#include <iostream>
#include <memory>

#include "tools/bronze/cli.h"

namespace bronze::cli {

Command AddDotCommand(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("dot", "Print the graph in Graphviz DOT on stdout.");
  sub->add_option("FILE", *file, "A .bronze model file or text IR")->required();
  return {sub, [file] {
            LoadedModel model = LoadModel(*file);
            std::cout << ToDot(model.graph);
            return static_cast<int>(kExitOk);
          }};
}

}  // namespace bronze::cli
