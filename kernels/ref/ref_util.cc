// Helpers for the reference kernels.
#include "kernels/ref/ref_util.h"

namespace bronze::ref {

std::vector<int64_t> Strides(const Dims& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) s[d - 1] = s[d] * dims[d];
  return s;
}

std::vector<int64_t> BroadcastStrides(const Dims& in, const Dims& out) {
  std::vector<int64_t> s(out.size(), 0);
  std::vector<int64_t> in_strides = Strides(in);
  size_t shift = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d) {
    s[d + shift] = in[d] == 1 && out[d + shift] != 1 ? 0 : in_strides[d];
  }
  return s;
}

}  // namespace bronze::ref
