// Graphviz DOT export of a graph: one box per node (name, op, output types), edges labeled with
// the type that flows along them; sources and graph outputs are drawn apart.
#pragma once

#include <string>

#include "graph/graph.h"

namespace bronze {

std::string ToDot(const Graph& graph);

}  // namespace bronze
