// The op reference (docs/ops.md), rendered from the op and kernel registries so it cannot drift
// from the code: every op's definition (its schema doc, which states the PyTorch-equivalent
// numerics), inputs, attributes with defaults, outputs, fusion kind, differentiability and the
// dtypes each backend has kernels for. `make docs` regenerates the file; a test fails when the
// committed file is stale.
#pragma once

#include <string>

namespace bronze {

class OpRegistry;
class KernelRegistry;

std::string RenderOpReference(const OpRegistry& ops, const KernelRegistry& kernels);

}  // namespace bronze
