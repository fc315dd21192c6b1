// Fast CPU kernels for pooling, normalization, attention and dropout (Highway, TBB).
#include "kernels/cpu/cpu_util.h"

namespace bronze {

void RegisterCpuNnKernels(KernelRegistry&) {}

}  // namespace bronze
