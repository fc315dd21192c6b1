// The simplify passes (issue 7): constant folding, common-subexpression elimination, algebraic
// identities and conv2d + batch_norm folding, each a registered pass of its own, and `simplify`,
// which runs them and dce to a fixpoint. This header also holds the small rules they share: which
// ops are pure (safe to fold, merge or drop) and which values may stand in for others.
#pragma once

#include <cstddef>
#include <vector>

#include "graph/graph.h"
#include "passes/pass.h"

namespace bronze {

// fold_constants never materializes a result larger than this (per node, all outputs).
inline constexpr size_t kFoldMaxBytes = size_t{1} << 20;
// cse merges two constant nodes only when their values are at most this large (and equal).
inline constexpr size_t kCseMaxConstantBytes = size_t{16} << 10;
// simplify stops after this many rounds even if a pass still reports a change.
inline constexpr int kSimplifyMaxRounds = 16;

// The passes (registered by PassRegistry::Global()).
bool FoldConstantsPass(Graph& graph, PassContext& context);
bool CsePass(Graph& graph, PassContext& context);
bool AlgebraicPass(Graph& graph, PassContext& context);
bool FoldConvBnPass(Graph& graph, PassContext& context);
bool SimplifyPass(Graph& graph, PassContext& context);

namespace simplify {

// Ops drawing random numbers (dropout): never folded or merged.
bool IsRandomOp(const OpSchema& op);
// A computation whose outputs depend only on its inputs and attributes, with no effect beyond
// them: not a source, no side effects, no in-place update, no state outputs, not random.
bool IsPure(const OpSchema& op);
bool IsConstant(const Graph& graph, Value v);
// Source values (parameters, state) that some in-place op of the graph writes. A value must not
// be forwarded onto one of them: readers of the forwarded value would then be ordered before the
// update, which can form a cycle.
std::vector<char> InplaceTargets(const Graph& graph);
// Re-infers `node`'s output types; true when they equal the annotated ones (a rewrite that
// changed them is not exact and must be undone).
bool TypesUnchanged(const Graph& graph, const Node& node);

}  // namespace simplify
}  // namespace bronze
