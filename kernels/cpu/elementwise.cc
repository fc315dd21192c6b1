// Fast CPU kernels for binary elementwise ops (Highway, TBB).
#include "kernels/cpu/cpu_util.h"

namespace bronze {

void RegisterCpuElementwiseKernels(KernelRegistry&) {}

}  // namespace bronze
