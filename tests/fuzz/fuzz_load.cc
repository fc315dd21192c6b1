// libFuzzer target over the model loader: any bytes go to Model::LoadFromMemory under a small
// memory budget. A ModelFormatError (or any bronze::Error) is a correct rejection; anything else
// (a crash, a sanitizer report, another exception) is a bug. Also compiled into the replay
// driver (replay_main.cc) that ctest runs over tests/fuzz/regressions/load in every build.
#include <cstddef>
#include <cstdint>
#include <span>

#include "serialization/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bronze::LoadOptions options;
  options.memory_budget = 64 << 20;  // small: the fuzzer must not OOM on declared sizes
  try {
    bronze::Model m = bronze::Model::LoadFromMemory(std::span(data, size), options);
    (void)m;
  } catch (const bronze::Error&) {
    // rejected: fine
  }
  return 0;
}
