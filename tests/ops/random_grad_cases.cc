// Gradient cases of the random family (tests/ops/gradcheck_test.cc runs them): dropout with a
// fixed seed (a fixed mask, so the op is linear and central differences are exact), with an
// offset input (no gradient to it), in inference, and with size-1 dims.
#include "tests/ops/op_cases.h"

namespace bronze::testing {

BRONZE_OP_CASES(random_grad) {
  const AttrMap train = {{"p", 0.3}, {"seed", int64_t{1234}}, {"training", int64_t{1}}};
  c.Add(GradCase{"dropout", "plain", {F32({4, 6})}, train});
  c.Add(GradCase{"dropout", "with offset", {F32({3, 5}), Given(Tensor::Scalar<int64_t>(7))},
                 {{"p", 0.5}, {"seed", int64_t{-3}}, {"training", int64_t{1}}}, {0}});
  c.Add(GradCase{"dropout", "training 0", {F32({2, 3})},
                 {{"p", 0.3}, {"seed", int64_t{1234}}, {"training", int64_t{0}}}});
  c.Add(GradCase{"dropout", "size-1 dims", {F32({1, 7, 1})}, train});
  c.Add(GradCase{"dropout", "p 0", {F32({5})}, {{"p", 0.0}, {"training", int64_t{1}}}});
}

}  // namespace bronze::testing
