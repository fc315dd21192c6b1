// Reference kernels for pooling, normalization, attention and dropout.
#include "kernels/ref/ref_util.h"

namespace bronze {

void RegisterRefNnKernels(KernelRegistry&) {}

}  // namespace bronze
