// Fast CPU kernels for loss functions (Highway, TBB).
#include "kernels/cpu/cpu_util.h"

namespace bronze {

void RegisterCpuLossKernels(KernelRegistry&) {}

}  // namespace bronze
