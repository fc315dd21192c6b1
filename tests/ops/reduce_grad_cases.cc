// Gradient cases of the reduce family (tests/ops/gradcheck_test.cc runs them).
#include "tests/ops/op_cases.h"

namespace bronze::testing {

BRONZE_OP_CASES(reduce_grad) {
  c.Add(GradCase{"reduce_sum", "all axes", {F32({2, 3})}});
  c.Add(GradCase{"reduce_sum", "axis 1 keepdims", {F32({2, 3, 2})}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t{1}}}});
  c.Add(GradCase{"reduce_sum", "size-1 dims, negative axis", {F32({1, 3, 1})}, {{"axes", std::vector<int64_t>{-2}}}});
}

}  // namespace bronze::testing
