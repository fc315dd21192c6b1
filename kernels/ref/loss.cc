// Reference kernels for loss functions.
#include "kernels/ref/ref_util.h"

namespace bronze {

void RegisterRefLossKernels(KernelRegistry&) {}

}  // namespace bronze
