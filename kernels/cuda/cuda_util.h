// Small helpers shared by the CUDA sources: error checking that throws bronze errors.
#pragma once

#include <cuda_runtime_api.h>

namespace bronze::cuda {

// Throws InvalidArgumentError naming `what` and CUDA's message when `status` is an error.
void Check(cudaError_t status, const char* what);

}  // namespace bronze::cuda
