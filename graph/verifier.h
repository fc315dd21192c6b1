// The verifier: structural checks of a graph. It checks that every node has a known op, a
// unique name, inputs that exist and an arity the op accepts; attributes of the declared types
// that pass validation; no cycle; annotated output types equal to re-inferred ones; source data
// consistent with the declared dtype and shape; in-place updates only of parameter or state values,
// one writer each, with matching types; valid, uniquely named graph outputs. Each
// failure throws the matching Error with a message naming the node and what was wrong. Tests run
// it after every pass.
#pragma once

#include "graph/graph.h"

namespace bronze {

void Verify(const Graph& graph);

}  // namespace bronze
