// The text form of a graph, for tests, dumps and the CLI. It prints and parses back to a
// structurally equal graph:
//
//   graph "main" {
//     %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3] @"demo.cc:12"
//     %w = parameter() {dtype = f32, shape = (3, 2)} : f32[3, 2] data [0.5, -1.0, ...]
//     %y = matmul(%x, %w) : f32[N, 2]
//     %s = split(%y) {axis = 1, sections = [1, 1]} : f32[N, 1], f32[N, 1]
//     %z = add(%s, %s#1) : f32[N, 1]
//     return z = %z
//   }
//
// Values are `%name` (output 0) or `%name#k`. Attribute values are read with the type the op's
// schema declares. `data` holds a source node's values (exactly); `data elided` marks values left
// out of a dump. `@"..."` is the user's source location.
#pragma once

#include <string>
#include <string_view>

#include "graph/graph.h"
#include "graph/op_registry.h"

namespace bronze {

struct TextOptions {
  bool elide_data = false;  // print `data elided` instead of values
  bool locations = true;    // print `@"file:line"`
};

std::string PrintGraph(const Graph& graph, const TextOptions& options = {});
// Throws ParseError with the line and column of the problem. The result is not verified; call
// Verify() for that (the parser keeps annotated types as written, so the verifier can check them).
Graph ParseGraph(std::string_view text, const OpRegistry& registry = OpRegistry::Global());

// Same graph name, nodes (by name: op, inputs, attributes, output types, location, data bytes)
// and outputs. On a difference returns false and, when `why` is given, says where.
bool StructurallyEqual(const Graph& a, const Graph& b, std::string* why = nullptr);

}  // namespace bronze
