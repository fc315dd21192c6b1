// The kernel registry: every non-source op has a reference kernel on the CPU for f32 (and f64
// where the op accepts floats, for gradient checks), lookups honour the backend, and duplicate
// registrations are rejected.
#include <gtest/gtest.h>

#include "kernels/kernel.h"
#include "test_util.h"

namespace bronze {
namespace {

TEST(KernelRegistry, EveryOpHasReferenceKernelsForF32AndF64) {
  const KernelRegistry& kernels = KernelRegistry::Global();
  for (const OpSchema* op : OpRegistry::Global().All()) {
    if (op->is_source) continue;
    SCOPED_TRACE("op " + op->name);
    for (DType d : {DType::kF32, DType::kF64}) {
      const KernelEntry* e = kernels.Find(op->name, DeviceKind::kCPU, d, "ref");
      ASSERT_NE(e, nullptr) << "no ref kernel for " << DTypeName(d);
      EXPECT_EQ(e->backend, "ref");
      EXPECT_TRUE(static_cast<bool>(e->factory));
    }
  }
}

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
