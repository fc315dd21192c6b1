// The kernel registry: lookups honour the backend, and duplicate registrations are rejected.
// Per-op kernel coverage (ref f32/f64, fast cpu) is checked in tests/ops/coverage_test.cc.
#include <gtest/gtest.h>

#include "kernels/kernel.h"
#include "test_util.h"

namespace bronze {
namespace {

TEST(KernelRegistry, EveryKernelBelongsToARegisteredOp) {
  for (const KernelEntry* e : KernelRegistry::Global().All()) {
    const OpSchema* op = OpRegistry::Global().Find(e->op);
    ASSERT_NE(op, nullptr) << "kernel for unknown op " << e->op;
    EXPECT_FALSE(op->is_source) << "source op " << e->op << " has a kernel";
  }
}

TEST(KernelRegistry, FindsByBackendAndRejectsDuplicates) {
  KernelRegistry r;
  auto fn = [](const AttrMap&, std::span<const Tensor>, std::span<Tensor>) {};
  r.Register(KernelEntry{"relu", DeviceKind::kCPU, DType::kF32, "ref", 0, FunctionKernel(fn)});
  r.Register(KernelEntry{"relu", DeviceKind::kCPU, DType::kF32, "cpu", 5, FunctionKernel(fn)});
  EXPECT_EQ(r.Find("relu", DeviceKind::kCPU, DType::kF32)->backend, "cpu");
  EXPECT_EQ(r.Find("relu", DeviceKind::kCPU, DType::kF32, "ref")->backend, "ref");
  EXPECT_EQ(r.Find("relu", DeviceKind::kCUDA, DType::kF32), nullptr);
  EXPECT_EQ(r.Find("relu", DeviceKind::kCPU, DType::kI32), nullptr);
  EXPECT_THROW(r.Register(KernelEntry{"relu", DeviceKind::kCPU, DType::kF32, "ref", 0, FunctionKernel(fn)}),
               InternalError);
  EXPECT_EQ(r.DescribeAvailable("relu", DeviceKind::kCPU), "f32");
  EXPECT_EQ(r.DescribeAvailable("exp", DeviceKind::kCPU), "none");
}

}  // namespace
}  // namespace bronze
