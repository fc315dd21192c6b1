// A model whose weight section passes 2 GiB: a 2.1 GiB parameter (an untouched anonymous
// mapping, so zero pages cost no memory, with marked values on both sides of the 2 GiB byte
// mark) followed by a small parameter whose bytes lie past 2 GiB. Saved sparse (zero blocks are
// holes), loaded by mmap without a copy; the values around the mark and after it are checked.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/test_util.h"

namespace bronze::testing {
namespace {

TEST(LargeFile, WeightSectionPastTwoGiBSavesSparseAndLoadsByMmap) {
  const int64_t big_elems = (int64_t{21} << 30) / 10 / 4;  // 2.1 GiB of f32
  const size_t big_bytes = static_cast<size_t>(big_elems) * 4;
  void* mem = mmap(nullptr, big_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* big = static_cast<float*>(mem);
  const int64_t mark = (int64_t{1} << 31) / 4;  // the element at byte 2 GiB of the tensor
  big[mark - 1] = 1.5f;
  big[mark] = -2.5f;
  big[big_elems - 1] = 7.0f;

  ScratchDir scratch;
  std::string path = scratch / "big.bronze";
  {
    Graph g("big");
    GraphBuilder b(g);
    Value x = b.Placeholder("x", DType::kF32, Shape{2});
    b.Parameter("big", Tensor::View(mem, DType::kF32, {big_elems}));
    Value small = b.Parameter("small", Tensor::FromVector<float>({2}, {3.25f, -4.5f}));
    b.Output("y", b.Op1("add", {x, small}));
    Model(g).Save(path);
  }
  munmap(mem, big_bytes);

  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_GT(static_cast<uint64_t>(st.st_size), uint64_t{1} << 31);
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, uint64_t{64} << 20) << "not sparse";

  Model m = Model::Load(path);  // mmap: nothing is copied
  const Tensor& b2 = m.graph().node(m.graph().FindNode("big")).data;
  ASSERT_EQ(b2.numel(), big_elems);
  const float* p = b2.data<float>();
  EXPECT_EQ(p[0], 0.0f);
  EXPECT_EQ(p[mark - 2], 0.0f);
  EXPECT_EQ(p[mark - 1], 1.5f);
  EXPECT_EQ(p[mark], -2.5f);
  EXPECT_EQ(p[mark + 1], 0.0f);
  EXPECT_EQ(p[big_elems - 1], 7.0f);
  const Tensor& s = m.graph().node(m.graph().FindNode("small")).data;
  EXPECT_EQ(s.data<float>()[0], 3.25f);
  EXPECT_EQ(s.data<float>()[1], -4.5f);
  // The small tensor's bytes lie past 2 GiB in the file.
  EXPECT_GT(static_cast<const uint8_t*>(s.raw_data()) - static_cast<const uint8_t*>(b2.raw_data()),
            int64_t{1} << 31);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace bronze::testing
