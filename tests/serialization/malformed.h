// The malformed-model generator: damages a valid .bronze file in one specific way per damage
// class (truncation, bad identifier, newer version, index out of range, cycle, ...), each of
// which the loader must reject with its own LoadErrorCode. The table is edited through the
// FlatBuffers object API and re-packed over the same weight section, so every damaged file is
// valid except for the one damage.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bronze/bronze.h"

namespace bronze::testing {

using Bytes = std::vector<uint8_t>;

struct Damage {
  std::string name;
  LoadErrorCode code;
  std::string path;  // a substring the error's field path must contain
  std::function<Bytes(const Bytes&)> apply;
};

// The model every damage applies to: placeholder x f32[N, 3] (location "model.py:3"), parameters
// w f32[3, 2] and b f32[2], a bool constant mask[2], matmul -> add -> softmax(axis=-1), output
// "y"; metadata {"author": "test"}.
Graph DamageBaseGraph();
Bytes DamageBaseFile();
// Every damage class (at least 15, each with its own code).
std::vector<Damage> DamageClasses();
// Unpacks and re-packs a file without changing it (the generator's identity).
Bytes Repack(const Bytes& file);

}  // namespace bronze::testing
