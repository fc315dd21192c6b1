// NumPy .npy files (format versions 1.0 to 3.0, little-endian, C order) <-> Tensor: how the
// `bronze run` command line and the benchmarks exchange arrays with Python. Reading checks the
// header (magic, version, dtype, order, shape) and the file size before allocating; every failure
// is an IoError (cannot open) or FormatError naming the file and what was wrong.
#pragma once

#include <string>

#include "graph/tensor.h"

namespace bronze {

// Reads a CPU tensor. Supported dtypes: f32 f64 f16 i32 i64 u8 bool ('<f4' '<f8' '<f2' '<i4'
// '<i8' '|u1' '|b1'); Fortran order and big-endian data are rejected.
Tensor ReadNpy(const std::string& path);
// Writes a CPU tensor (version 1.0 header). bf16 has no NumPy dtype and is rejected.
void WriteNpy(const std::string& path, const Tensor& tensor);

}  // namespace bronze
