// Shared test helpers: expecting a bronze error of a given type whose message contains given
// substrings, a scratch directory private to the running test, and random f32 tensors.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <random>
#include <string>

#include "bronze/bronze.h"

namespace bronze::testing {

// Runs `fn`, expects it to throw ErrorT, and checks that what() contains every substring.
// Returns the full message (empty on failure) for further checks.
template <typename ErrorT>
std::string ExpectError(const std::function<void()>& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
  } catch (const ErrorT& e) {
    std::string msg = e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "message lacks \"" << p << "\": " << msg;
    }
    return msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw the wrong error type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

// A tensor of `dims` with normal(0, scale) f32 values drawn from `rng`.
inline Tensor RandomF32(Dims dims, std::mt19937_64& rng, double scale) {
  Tensor t = Tensor::Empty(DType::kF32, std::move(dims));
  std::normal_distribution<float> normal(0.0f, static_cast<float>(scale));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
  return t;
}

// An empty directory that belongs to the running test alone, removed with its contents when the
// object goes out of scope. ctest runs test cases of one binary as parallel processes, so a fixed
// file name shared by two cases (or by two parameter values of one case) would be torn; the name
// holds the suite, the test (with its parameter) and the process id. The base is
// BRONZE_TEST_TMPDIR when set, else the system's temp directory.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag = "") {
    const char* base = std::getenv("BRONZE_TEST_TMPDIR");
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "main";
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    if (!tag.empty()) name += "." + tag;
    path_ = std::filesystem::path(base ? base : std::filesystem::temp_directory_path().string()) /
            ("bronze-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `file` inside the directory, as a string.
  std::string operator/(const std::string& file) const { return (path_ / file).string(); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace bronze::testing
