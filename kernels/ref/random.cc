// Reference kernels for random ops (dropout).
#include "kernels/ref/ref_util.h"

namespace bronze {

void RegisterRefRandomKernels(KernelRegistry&) {}

}  // namespace bronze
