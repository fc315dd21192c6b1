// Tensors and devices: construction (Empty, Zeros, FromVector, Scalar, View, OnStorage), storage
// sharing (views, Reshaped) versus deep copies (Clone), typed access, GetAsDouble, ToString,
// BitwiseEqual, host alignment, and Device parsing / the device-interface lookup.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "test_util.h"

namespace bronze {
namespace {

using bronze::testing::ExpectError;

TEST(Tensor, DefaultTensorIsUndefined) {
  Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_EQ(t.raw_data(), nullptr);
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.ToString(), "Tensor(undefined)");
}

TEST(Tensor, EmptyHasDTypeDimsAndSizes) {
  Tensor t = Tensor::Empty(DType::kF64, {2, 3});
  EXPECT_TRUE(t.defined());
  EXPECT_EQ(t.dtype(), DType::kF64);
  EXPECT_EQ(t.dims(), (Dims{2, 3}));
  EXPECT_EQ(t.rank(), 2);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 48u);
  EXPECT_EQ(t.device(), Device::CPU());
  EXPECT_FALSE(t.is_view());
  EXPECT_TRUE(t.storage()->owning());
}

TEST(Tensor, EmptyHostMemoryIs64ByteAligned) {
  for (Dims dims : {Dims{}, Dims{0}, Dims{1}, Dims{3}, Dims{17, 5}, Dims{1000}}) {
    for (DType dt : kAllDTypes) {
      Tensor t = Tensor::Empty(dt, dims);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u)
          << DTypeName(dt) << DimsToString(dims);
    }
  }
}

TEST(Tensor, EmptyRejectsNegativeAndOverflowingShapes) {
  ExpectError<ShapeError>([] { Tensor::Empty(DType::kF32, {2, -3}); }, {"negative dim in shape (2, -3)"});
  ExpectError<ShapeError>([] { Tensor::Empty(DType::kF64, {int64_t{1} << 62, 4}); }, {"overflows"});
  ExpectError<ShapeError>([] { Tensor::Empty(DType::kF64, {int64_t{1} << 62}); }, {"is too large"});
}

TEST(Tensor, ZerosIsAllZeroBytes) {
  Tensor t = Tensor::Zeros(DType::kI64, {5});
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(t.data<int64_t>()[i], 0);
  EXPECT_EQ(Tensor::Zeros(DType::kF32, {0}).numel(), 0);
}

TEST(Tensor, FromVectorCopiesValuesRowMajor) {
  std::vector<int32_t> values{1, 2, 3, 4, 5, 6};
  Tensor t = Tensor::FromVector<int32_t>({2, 3}, values);
  values[0] = 100;  // the tensor holds its own copy
  EXPECT_EQ(t.dtype(), DType::kI32);
  EXPECT_EQ(t.data<int32_t>()[0], 1);
  EXPECT_EQ(t.data<int32_t>()[5], 6);
  EXPECT_EQ(t.GetAsDouble(4), 5.0);
}

TEST(Tensor, FromVectorWithWrongCountThrowsShapeError) {
  ExpectError<ShapeError>([] { Tensor::FromVector<float>({2, 2}, {1, 2, 3}); },
                          {"FromVector: 3 values for shape (2, 2) of 4 elements"});
}

TEST(Tensor, ScalarHasRankZeroAndOneElement) {
  Tensor t = Tensor::Scalar(2.5f);
  EXPECT_EQ(t.rank(), 0);
  EXPECT_EQ(t.numel(), 1);
  EXPECT_EQ(t.dtype(), DType::kF32);
  EXPECT_EQ(*t.data<float>(), 2.5f);
  EXPECT_EQ(Tensor::Scalar(true).dtype(), DType::kBool);
  EXPECT_EQ(Tensor::Scalar(uint8_t{7}).GetAsDouble(0), 7.0);
}

TEST(Tensor, ViewSharesTheCallersMemory) {
  std::vector<float> buffer{1, 2, 3, 4};
  Tensor v = Tensor::View(buffer.data(), DType::kF32, {2, 2});
  EXPECT_TRUE(v.is_view());
  EXPECT_FALSE(v.storage()->owning());
  EXPECT_EQ(v.raw_data(), buffer.data());
  EXPECT_EQ(v.storage()->bytes(), 16u);
  buffer[3] = 40;  // caller writes are visible through the view
  EXPECT_EQ(v.GetAsDouble(3), 40.0);
  v.data<float>()[0] = -1;  // and writes through the view land in the caller's buffer
  EXPECT_EQ(buffer[0], -1.0f);
}

TEST(Tensor, OnStorageAddressesBytesFromAnOffset) {
  auto storage = Storage::Allocate(64, Device::CPU());
  Tensor whole = Tensor::OnStorage(storage, 0, DType::kI32, {16});
  for (int32_t i = 0; i < 16; ++i) whole.data<int32_t>()[i] = i;
  Tensor part = Tensor::OnStorage(storage, 8, DType::kI32, {2, 3});
  EXPECT_EQ(part.GetAsDouble(0), 2.0);
  EXPECT_EQ(part.GetAsDouble(5), 7.0);
  EXPECT_EQ(part.storage(), storage);
  Tensor last = Tensor::OnStorage(storage, 60, DType::kI32, {1});  // exactly fits
  EXPECT_EQ(last.GetAsDouble(0), 15.0);
}

TEST(Tensor, OnStorageOutOfBoundsThrowsInvalidArgument) {
  auto storage = Storage::Allocate(64, Device::CPU());
  ExpectError<InvalidArgumentError>([&] { Tensor::OnStorage(storage, 60, DType::kI32, {2}); },
                                    {"tensor of shape (2,) at offset 60 does not fit its storage"});
  ExpectError<InvalidArgumentError>([&] { Tensor::OnStorage(storage, 0, DType::kF64, {9}); },
                                    {"does not fit its storage"});
  ExpectError<InvalidArgumentError>(
      [&] { Tensor::OnStorage(storage, std::numeric_limits<size_t>::max(), DType::kU8, {2}); },
      {"does not fit its storage"});
  ExpectError<InvalidArgumentError>([] { Tensor::OnStorage(nullptr, 0, DType::kU8, {1}); },
                                    {"does not fit its storage"});
}

TEST(Tensor, ReshapedSharesStorage) {
  Tensor t = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor r = t.Reshaped({3, 2});
  EXPECT_EQ(r.dims(), (Dims{3, 2}));
  EXPECT_EQ(t.dims(), (Dims{2, 3}));
  EXPECT_EQ(r.raw_data(), t.raw_data());
  r.data<float>()[5] = 60;
  EXPECT_EQ(t.data<float>()[5], 60.0f);
  EXPECT_EQ(t.Reshaped({6}).rank(), 1);
}

TEST(Tensor, ReshapedWithWrongCountThrowsShapeError) {
  Tensor t = Tensor::Zeros(DType::kF32, {2, 3});
  ExpectError<ShapeError>([&] { t.Reshaped({4, 2}); },
                          {"cannot reshape a tensor of shape (2, 3) to (4, 2)"});
}

TEST(Tensor, CloneIsADeepCopy) {
  Tensor t = Tensor::FromVector<int64_t>({3}, {1, 2, 3});
  Tensor c = t.Clone();
  EXPECT_NE(c.raw_data(), t.raw_data());
  EXPECT_TRUE(BitwiseEqual(c, t));
  c.data<int64_t>()[0] = 99;
  EXPECT_EQ(t.data<int64_t>()[0], 1);
  EXPECT_FALSE(BitwiseEqual(c, t));
}

TEST(Tensor, CloneOfAViewOwnsItsMemory) {
  std::vector<uint8_t> buffer{1, 2, 3};
  Tensor c = Tensor::View(buffer.data(), DType::kU8, {3}).Clone();
  EXPECT_FALSE(c.is_view());
  buffer[0] = 50;
  EXPECT_EQ(c.GetAsDouble(0), 1.0);
}

TEST(Tensor, DataWithWrongTypeThrowsTypeError) {
  Tensor t = Tensor::Zeros(DType::kF32, {2});
  ExpectError<TypeError>([&] { t.data<double>(); }, {"tensor of dtype f32 accessed as f64"});
  ExpectError<TypeError>([&] { Tensor::Zeros(DType::kBool, {1}).data<uint8_t>(); },
                         {"tensor of dtype bool accessed as u8"});
  EXPECT_NO_THROW(t.data<float>());
}

TEST(Tensor, GetAsDoubleConvertsEveryHostDType) {
  EXPECT_EQ(Tensor::FromVector<float>({1}, {-1.5f}).GetAsDouble(0), -1.5);
  EXPECT_EQ(Tensor::FromVector<double>({1}, {0.1}).GetAsDouble(0), 0.1);
  EXPECT_EQ(Tensor::FromVector<int32_t>({1}, {-7}).GetAsDouble(0), -7.0);
  EXPECT_EQ(Tensor::FromVector<int64_t>({1}, {int64_t{1} << 40}).GetAsDouble(0), 1099511627776.0);
  EXPECT_EQ(Tensor::FromVector<uint8_t>({1}, {255}).GetAsDouble(0), 255.0);
  EXPECT_EQ(Tensor::FromVector<bool>({2}, {true, false}).GetAsDouble(0), 1.0);
  EXPECT_EQ(Tensor::FromVector<bool>({2}, {true, false}).GetAsDouble(1), 0.0);
}

TEST(Tensor, GetAsDoubleRejectsBadIndexAndHalfTypes) {
  Tensor t = Tensor::Zeros(DType::kF32, {2});
  ExpectError<InvalidArgumentError>([&] { t.GetAsDouble(2); }, {"element index out of range"});
  ExpectError<InvalidArgumentError>([&] { t.GetAsDouble(-1); }, {"element index out of range"});
  ExpectError<UnimplementedError>([] { Tensor::Zeros(DType::kF16, {1}).GetAsDouble(0); },
                                  {"GetAsDouble: dtype f16"});
}

TEST(Tensor, ToStringOfScalar) {
  EXPECT_EQ(Tensor::Scalar(2.5f).ToString(), "f32() 2.5");
  EXPECT_EQ(Tensor::Scalar(int64_t{-3}).ToString(), "i64() -3");
}

TEST(Tensor, ToStringOfOneDimensionalTensor) {
  EXPECT_EQ(Tensor::FromVector<int32_t>({3}, {1, 2, 3}).ToString(), "i32(3,) [1, 2, 3]");
  EXPECT_EQ(Tensor::FromVector<double>({2}, {0.1, 1e-7}).ToString(), "f64(2,) [0.1, 1e-07]");
  EXPECT_EQ(Tensor::FromVector<bool>({2}, {true, false}).ToString(), "bool(2,) [1, 0]");
  EXPECT_EQ(Tensor::Zeros(DType::kF32, {0}).ToString(), "f32(0,) []");
}

TEST(Tensor, ToStringOfTwoDimensionalTensorNestsBrackets) {
  EXPECT_EQ(Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6}).ToString(),
            "f32(2, 3) [[1, 2, 3], [4, 5, 6]]");
  EXPECT_EQ(Tensor::FromVector<int32_t>({2, 1, 2}, {1, 2, 3, 4}).ToString(),
            "i32(2, 1, 2) [[[1, 2]], [[3, 4]]]");
}

TEST(Tensor, ToStringElidesElementsPastTheLimit) {
  std::vector<int32_t> v(10);
  for (int32_t i = 0; i < 10; ++i) v[static_cast<size_t>(i)] = i;
  Tensor t = Tensor::FromVector<int32_t>({10}, v);
  EXPECT_EQ(t.ToString(4), "i32(10,) [0, 1, 2, 3, ...]");
  EXPECT_EQ(t.ToString(10), "i32(10,) [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]");
  EXPECT_EQ(t.Reshaped({2, 5}).ToString(7), "i32(2, 5) [[0, 1, 2, 3, 4], [5, 6, ...]]");
}

TEST(Tensor, BitwiseEqualComparesDTypeDimsAndBytes) {
  Tensor a = Tensor::FromVector<float>({2}, {1, 2});
  EXPECT_TRUE(BitwiseEqual(a, Tensor::FromVector<float>({2}, {1, 2})));
  EXPECT_FALSE(BitwiseEqual(a, Tensor::FromVector<float>({2}, {1, 3})));
  EXPECT_FALSE(BitwiseEqual(a, Tensor::FromVector<float>({1, 2}, {1, 2})));
  EXPECT_FALSE(BitwiseEqual(a, Tensor::FromVector<int32_t>({2}, {1, 2})));
  // Bits, not values: NaN equals the same NaN, and 0.0 differs from -0.0.
  float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(BitwiseEqual(Tensor::Scalar(nan), Tensor::Scalar(nan)));
  EXPECT_FALSE(BitwiseEqual(Tensor::Scalar(0.0f), Tensor::Scalar(-0.0f)));
  EXPECT_TRUE(BitwiseEqual(Tensor::Zeros(DType::kF32, {0}), Tensor::Zeros(DType::kF32, {0})));
}

TEST(Device, ParseAcceptsCpuCudaAndGpuForms) {
  EXPECT_EQ(Device::Parse("cpu"), Device::CPU());
  EXPECT_EQ(Device::Parse("cuda"), Device::CUDA(0));
  EXPECT_EQ(Device::Parse("gpu"), Device::CUDA(0));
  EXPECT_EQ(Device::Parse("cuda:1"), Device::CUDA(1));
  EXPECT_EQ(Device::Parse("gpu:2"), Device::CUDA(2));
  EXPECT_EQ(Device::Parse("cuda:12"), Device::CUDA(12));
}

TEST(Device, ParseRejectsOtherText) {
  for (const char* bad : {"", "CPU", "cuda:", "cuda:-1", "cuda:x", "cuda:1:2", "tpu", "cuda:1234567", " cpu"}) {
    SCOPED_TRACE(bad);
    ExpectError<InvalidArgumentError>([&] { Device::Parse(bad); },
                                      {"unknown device '" + std::string(bad) + "'", "cuda:N"});
  }
}

TEST(Device, ToStringRoundTripsThroughParse) {
  EXPECT_EQ(Device::CPU().ToString(), "cpu");
  EXPECT_EQ(Device::CUDA().ToString(), "cuda:0");
  EXPECT_EQ(Device::CUDA(3).ToString(), "cuda:3");
  for (Device d : {Device::CPU(), Device::CUDA(0), Device::CUDA(7)}) {
    EXPECT_EQ(Device::Parse(d.ToString()), d);
  }
}

TEST(Device, CudaInterfaceWorksOnlyWhenAGpuIsPresent) {
  try {
    DeviceInterface& dev = GetDeviceInterface(Device::CUDA());
    EXPECT_GT(dev.DeviceCount(), 0);  // it did not throw, so device 0 exists
  } catch (const UnimplementedError& e) {
    EXPECT_NE(std::string(e.what()).find("device cuda:0 is not available in this build"), std::string::npos)
        << e.what();
  } catch (const InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("device cuda:0 does not exist"), std::string::npos) << e.what();
  }
}

TEST(Device, CudaIndexPastTheDeviceCountIsRejected) {
  try {
    DeviceInterface& dev = GetDeviceInterface(Device::CUDA(0));
    int count = dev.DeviceCount();
    ExpectError<InvalidArgumentError>([&] { GetDeviceInterface(Device::CUDA(count)); },
                                      {"does not exist (" + std::to_string(count) + " present)"});
  } catch (const UnimplementedError&) {
    GTEST_SKIP() << "no CUDA device interface in this build";
  } catch (const InvalidArgumentError&) {
    GTEST_SKIP() << "no CUDA device present";
  }
}

TEST(Device, CudaTensorWithoutAGpuCannotBeAllocated) {
  try {
    if (GetDeviceInterface(Device::CUDA()).DeviceCount() > 0) GTEST_SKIP() << "a GPU is present";
  } catch (const Error&) {
  }
  try {
    Tensor::Empty(DType::kF32, {2}, Device::CUDA());
    ADD_FAILURE() << "allocated a CUDA tensor without a GPU";
  } catch (const UnimplementedError&) {
  } catch (const InvalidArgumentError&) {
  }
}

}  // namespace
}  // namespace bronze
