// .npy round trips and malformed-file errors (graph/npy.h). NumPy itself checks the format from
// the Python side (tests/python); here: round trips over every supported dtype and rank, and
// each rejection names the file and the problem.
#include "graph/npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "graph/error.h"
#include "tests/test_util.h"

namespace bronze {
namespace {

using testing::ScratchDir;

TEST(Npy, RoundTripsEveryDTypeAndRank) {
  for (DType dtype : {DType::kF32, DType::kF64, DType::kF16, DType::kI32, DType::kI64, DType::kU8,
                      DType::kBool}) {
    ScratchDir scratch;
    for (Dims dims : {Dims{}, Dims{5}, Dims{2, 3}, Dims{2, 0, 4}, Dims{1, 2, 3, 2}}) {
      Tensor t = Tensor::Empty(dtype, dims);
      auto* bytes = static_cast<unsigned char*>(t.raw_data());
      for (size_t i = 0; i < t.nbytes(); ++i) {
        bytes[i] = dtype == DType::kBool ? static_cast<unsigned char>(i % 2)
                                         : static_cast<unsigned char>(i * 37 + 11);
      }
      std::string path = scratch / "rt.npy";
      WriteNpy(path, t);
      Tensor back = ReadNpy(path);
      EXPECT_EQ(back.dtype(), dtype);
      EXPECT_EQ(back.dims(), dims);
      EXPECT_TRUE(BitwiseEqual(back, t)) << DTypeName(dtype);
      std::remove(path.c_str());
    }
  }
}

TEST(Npy, HeaderIsPaddedToSixtyFourBytes) {
  ScratchDir scratch;
  std::string path = scratch / "pad.npy";
  WriteNpy(path, Tensor::FromVector<float>({3}, {1, 2, 3}));
  EXPECT_EQ((std::filesystem::file_size(path) - 12u) % 64u, 0u);  // 12 data bytes
  std::remove(path.c_str());
}

void ExpectRejected(const std::string& contents, const std::string& expected) {
  ScratchDir scratch;
  std::string path = scratch / "bad.npy";
  std::ofstream(path, std::ios::binary) << contents;
  try {
    ReadNpy(path);
    ADD_FAILURE() << "accepted " << expected;
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

std::string File(const std::string& header, const std::string& data) {
  std::string h = header + "\n";
  std::string s = "\x93NUMPY\x01";
  s += '\0';
  s += static_cast<char>(h.size() & 0xff);
  s += static_cast<char>(h.size() >> 8);
  return s + h + data;
}

TEST(Npy, RejectsMalformedFiles) {
  ExpectRejected("hello", "bad magic");
  ExpectRejected(File("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "abcd"),
                 "dtype");
  ExpectRejected(File("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", "abcd"),
                 "Fortran");
  ExpectRejected(File("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", "abcd"),
                 "needs 16");
  ExpectRejected(File("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", ""),
                 "negative");
  ExpectRejected(File("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, "
                      "4611686018427387904), }", ""), "overflows");
  ExpectRejected(File("{'descr': '<f4', 'fortran_order': False }", ""), "shape");
}

TEST(Npy, MissingFileIsAnIoError) {
  EXPECT_THROW(ReadNpy(ScratchDir() / "does_not_exist.npy"), IoError);
}

}  // namespace
}  // namespace bronze
