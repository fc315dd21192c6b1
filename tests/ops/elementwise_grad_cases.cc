// Gradient cases of the elementwise (binary) family: plain, broadcasting and size-1 dims for
// each differentiable op (tests/ops/gradcheck_test.cc runs them).
#include "tests/ops/op_cases.h"

namespace bronze::testing {

BRONZE_OP_CASES(elementwise_grad) {
  for (const char* op : {"add", "sub", "mul"}) {
    c.Add(GradCase{op, "plain", {F32({2, 3}), F32({2, 3})}});
    c.Add(GradCase{op, "broadcast", {F32({4, 1, 3}), F32({2, 1})}});
    c.Add(GradCase{op, "size-1 dims", {F32({1, 3, 1}), F32({1})}});
  }
}

}  // namespace bronze::testing
