// matmul's transpose flags and the convolution geometry shared by the linalg shape functions
// (graph/ops/linalg.cc) and the kernels (kernels/ref/linalg.cc, kernels/cpu/linalg.cc): the
// attributes of conv2d / conv_transpose2d read into one struct, 'same' / 'valid' padding
// resolved, and the output size of each spatial dim, so every backend computes exactly the
// shapes the graph has.
#pragma once

#include <cstdint>

#include "graph/attribute.h"
#include "graph/shape.h"

namespace bronze::ops {

// matmul's transpose_a / transpose_b flags (operand 0 or 1): stored on a node only when set
// (OpSchema::elided_defaults), so a missing one reads as false.
bool MatmulTransposed(const AttrMap& attrs, int operand);

// Attributes of conv2d (transpose = false) or conv_transpose2d (transpose = true), read after
// validation. Padding is per spatial dim (0: height, 1: width) at the begin (top / left) and the
// end (bottom / right). For auto_pad "same" the padding depends on the kernel size: use
// ResolvePadding.
struct ConvAttrs {
  enum class AutoPad { kExplicit, kSame, kValid };
  int64_t stride[2] = {1, 1};
  int64_t dilation[2] = {1, 1};
  int64_t pad_begin[2] = {0, 0};
  int64_t pad_end[2] = {0, 0};
  int64_t output_padding[2] = {0, 0};  // conv_transpose2d only
  int64_t groups = 1;
  AutoPad auto_pad = AutoPad::kExplicit;
};
ConvAttrs ReadConvAttrs(const AttrMap& attrs, bool transpose);

// The padding of spatial dim `d` for a kernel of `kernel` taps: explicit, none ('valid'), or
// PyTorch's 'same' (total dilation*(kernel-1), begin = total/2, the odd one at the end).
void ResolvePadding(const ConvAttrs& a, int d, int64_t kernel, int64_t* begin, int64_t* end);

// Concrete geometry of one convolution: an unbatched input (C, H, W) is treated as N = 1.
struct ConvGeometry {
  bool batched = true;
  int64_t n = 0, c_in = 0, c_out = 0, groups = 1;
  int64_t in[2] = {0, 0};      // input H, W
  int64_t kernel[2] = {0, 0};  // kH, kW
  int64_t out[2] = {0, 0};     // output H, W
  int64_t stride[2] = {1, 1};
  int64_t dilation[2] = {1, 1};
  int64_t pad_begin[2] = {0, 0};
  int64_t pad_end[2] = {0, 0};
  int64_t output_padding[2] = {0, 0};
};
// From validated attributes and the static dims of input and weight (as the shape function
// accepted them): conv2d weight (C_out, C_in/groups, kH, kW); conv_transpose2d weight
// (C_in, C_out/groups, kH, kW).
ConvGeometry Conv2dGeometry(const AttrMap& attrs, const Dims& x, const Dims& w);
ConvGeometry ConvTranspose2dGeometry(const AttrMap& attrs, const Dims& x, const Dims& w);

}  // namespace bronze::ops
