// The layout of a class-target loss input (cross_entropy, nll and their backward ops): x is (C),
// (N, C) or (N, C, d1, d2, ...), viewed as [n][c][d] with sample s = i * d + j. Shared by the
// reference and fast kernels, forward and backward.
#pragma once

#include <cstdint>

#include "graph/shape.h"

namespace bronze {

struct ClassLayout {
  int64_t n = 1, c = 1, d = 1;
};

inline ClassLayout ClassLayoutOf(const Dims& x) {
  ClassLayout l;
  if (x.size() == 1) {
    l.c = x[0];
    return l;
  }
  l.n = x[0];
  l.c = x[1];
  for (size_t k = 2; k < x.size(); ++k) l.d *= x[k];
  return l;
}

}  // namespace bronze
