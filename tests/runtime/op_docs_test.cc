// docs/ops.md is generated from the registries and committed; this test fails when it is stale
// (run `make docs`), and checks the rendering itself: every op appears with its id and kernels.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "runtime/op_docs.h"
#include "test_util.h"

namespace bronze {
namespace {

TEST(OpDocs, CommittedReferenceIsUpToDate) {
  std::ifstream in(std::string(BRONZE_SOURCE_DIR) + "/docs/ops.md");
  ASSERT_TRUE(in) << "docs/ops.md is missing: run `make docs`";
  std::stringstream committed;
  committed << in.rdbuf();
  EXPECT_TRUE(committed.str() == RenderOpReference(OpRegistry::Global(), KernelRegistry::Global()))
      << "docs/ops.md is stale: run `make docs` and commit it";
}

TEST(OpDocs, EveryOpHasASectionWithItsIdDocAndKernels) {
  std::string md = RenderOpReference(OpRegistry::Global(), KernelRegistry::Global());
  for (const OpSchema* op : OpRegistry::Global().All()) {
    SCOPED_TRACE(op->name);
    EXPECT_FALSE(op->doc.empty());
    size_t at = md.find("\n### " + op->name + "\n");
    ASSERT_NE(at, std::string::npos);
    EXPECT_NE(md.find("- Stable id: " + std::to_string(op->id), at), std::string::npos);
    if (!op->is_source) {
      EXPECT_NE(md.find("ref: ", at), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace bronze
