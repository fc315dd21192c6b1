// Fast CPU kernels for random ops (dropout).
#include "kernels/cpu/cpu_util.h"

namespace bronze {

void RegisterCpuRandomKernels(KernelRegistry&) {}

}  // namespace bronze
