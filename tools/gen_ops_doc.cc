// Prints the op reference (docs/ops.md) rendered from the registries: `make docs` runs it.
#include <iostream>

#include "graph/op_registry.h"
#include "kernels/kernel.h"
#include "runtime/op_docs.h"

int main() {
  std::cout << bronze::RenderOpReference(bronze::OpRegistry::Global(), bronze::KernelRegistry::Global());
  return 0;
}
