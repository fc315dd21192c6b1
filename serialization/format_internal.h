// Internals of the .bronze format shared by the writer, the reader, the tests' malformed-file
// generator and the fuzz targets: version numbers, layout constants, the in-memory form of an
// encoded file (FlatBuffers table + weight segments) and atomic file writing. Not installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "graph/tensor.h"
#include "serialization/model_file.h"

namespace bronze::format {

inline constexpr uint16_t kVersionMajor = 1;
inline constexpr uint16_t kVersionMinor = 0;
inline constexpr uint64_t kAlignment = 64;  // of the weight section and every tensor in it
inline constexpr int64_t kMaxRank = 32;     // of any shape in a file
inline constexpr char kIdentifier[] = "BRNZ";

inline uint64_t AlignUp(uint64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

// One tensor's bytes and where they go, relative to the weight section's start.
struct Segment {
  const void* data = nullptr;
  uint64_t offset = 0;
  uint64_t size = 0;
};

// An encoded file before it is written: the FlatBuffers table (its weight_section_offset already
// set to AlignUp(table.size())), then zero padding, then the segments at weight_section_offset +
// offset (zero padding between them). `keep_alive` holds the tensors the segments point into.
struct EncodedFile {
  std::vector<uint8_t> table;
  std::vector<Segment> segments;
  uint64_t weight_section_size = 0;
  std::vector<Tensor> keep_alive;
  uint64_t total_size() const { return AlignUp(table.size()) + weight_section_size; }
};

EncodedFile EncodeModel(const Graph& graph, const Metadata& metadata);
EncodedFile EncodeCheckpoint(const Checkpoint& checkpoint);
// The whole file as bytes (tests, fuzz seeds).
std::vector<uint8_t> ToBytes(const EncodedFile& file);

// Replaces the table of an encoded file: sets weight_section_offset in a finished ModelFile
// buffer (which must store that field) to AlignUp(buffer size). Used by the encoder and by tests
// that re-pack a modified table over the same weight section.
void FixWeightSectionOffset(std::vector<uint8_t>& table);

// Writes atomically: a temporary file in the target's directory, written (all-zero 4 KiB blocks
// as holes, so zero-filled weights stay sparse on disk), fsync'ed, renamed over `path`, then the
// directory fsync'ed. Throws IoError; the temporary file is removed on failure.
void WriteFileAtomically(const std::string& path, const EncodedFile& file);

// Bytes of a file: owned by `storage` (64-byte aligned, read or mapped).
struct FileBytes {
  std::shared_ptr<Storage> storage;  // null when the bytes are borrowed (LoadFromMemory)
  const uint8_t* data = nullptr;
  uint64_t size = 0;
};
// Maps (private copy-on-write pages) or reads the whole file. Throws IoError, or
// ModelFormatError(kMemoryBudget) before reading a file larger than a non-zero `memory_budget`.
FileBytes ReadFile(const std::string& path, bool mmap, uint64_t memory_budget);

// What the reader decodes; `tensors` hold views into `bytes.storage` or copies.
struct Decoded {
  Graph graph;
  bool has_graph = false;
  Metadata metadata;
  bool has_training = false;
  Checkpoint checkpoint;  // tensors and step when has_training (metadata not filled in)
};
Decoded Decode(const FileBytes& bytes, const LoadOptions& options);

}  // namespace bronze::format
