// The Highway target sweep of tests/ops/target_sweep.h.
#include "tests/ops/target_sweep.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "hwy/targets.h"
#include "tests/ops/op_cases.h"

namespace bronze::testing {

std::string ExpectEveryHighwayTargetMatchesTheReference(const std::vector<std::string>& ops,
                                                        bool bitwise) {
  std::string tested;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(std::string("target ") + hwy::TargetName(target));
    tested += std::string(tested.empty() ? "" : " ") + hwy::TargetName(target);
    hwy::SetSupportedTargetsForTest(target);
    for (const ConformanceCase& c : OpCases::Get().conformance()) {
      if (std::find(ops.begin(), ops.end(), c.op) == ops.end()) continue;
      SCOPED_TRACE(c.op + " " + c.name);
      std::vector<Tensor> in;
      for (size_t i = 0; i < c.inputs.size(); ++i)
        in.push_back(MakeInput(c.inputs[i], CaseSeed(c.op, c.name) + i));
      const KernelEntry* ref =
          KernelRegistry::Global().Find(c.op, DeviceKind::kCPU, DType::kF32, "ref");
      const KernelEntry* fast =
          KernelRegistry::Global().Find(c.op, DeviceKind::kCPU, DType::kF32, "cpu");
      EXPECT_TRUE(ref && fast);
      if (!ref || !fast) continue;
      const Tensor want = RunKernel(*ref, c.op, c.attrs, in, 1)[0];
      const Tensor got = RunKernel(*fast, c.op, c.attrs, in, 2)[0];
      if (bitwise) {
        EXPECT_EQ(got.nbytes(), want.nbytes());
        EXPECT_EQ(std::memcmp(got.raw_data(), want.raw_data(),
                              std::min(got.nbytes(), want.nbytes())),
                  0);
      } else {
        EXPECT_EQ(Compare(got, want, c.rtol, c.atol), "");
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  return tested;
}

}  // namespace bronze::testing
