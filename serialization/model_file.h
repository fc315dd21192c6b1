// The .bronze model file: one FlatBuffers table (graph, tensor metadata, metadata map, optional
// training state) followed by a 64-byte-aligned weight section addressed by 64-bit offsets
// (serialization/schema/bronze.fbs, docs/format.md). Model is what a program loads and runs:
//
//   bronze::Model model = bronze::Model::Load("mlp.bronze");
//   bronze::Session session(model, {.threads = 2});
//   auto outputs = session.Run({{"x", x}});
//
// Loading never trusts the file: the FlatBuffers verifier, then one linear pass of semantic
// validation; every failure throws ModelFormatError with a stable LoadErrorCode and the path of
// the bad field ("nodes[12].inputs[1] = 99 not in [0, 40)"). Saving writes a temporary file,
// flushes it and renames it over the target, so a crash leaves the old file or the new one.
// Checkpoints (parameters, optimizer state, step counter) use the same container.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "graph/error.h"
#include "graph/graph.h"

namespace bronze {

// Stable codes of the loader's failures (never renumber, only append). docs/format.md lists them.
enum class LoadErrorCode : int {
  kOk = 0,
  kTruncated = 1,             // shorter than its header or its declared weight section
  kBadIdentifier = 2,         // no "BRNZ" at byte 4: not a .bronze file
  kUnsupportedVersion = 3,    // a newer major schema version than this reader knows
  kMalformedBuffer = 4,       // the FlatBuffers verifier rejects the table (bad offsets, ...)
  kIndexOutOfRange = 5,       // a node or output index outside its range
  kCycle = 6,                 // an input that is not an earlier node (cycle / not topological)
  kArity = 7,                 // a node with a number of inputs its op does not accept
  kBadAttribute = 8,          // unknown, missing, mistyped, duplicate or invalid attribute
  kNegativeDim = 9,           // a negative dim (or a symbolic dim with a coefficient < 1)
  kElementCountOverflow = 10, // element count or byte size overflows 64 bits
  kWeightOutOfBounds = 11,    // a tensor's bytes outside the weight section
  kMisalignedWeights = 12,    // a weight section or tensor offset that is not 64-byte aligned
  kSizeMismatch = 13,         // a tensor's byte size differs from its dims times dtype size
  kUnknownOp = 14,            // an op id this build does not know
  kMemoryBudget = 15,         // the model needs more bytes than LoadOptions::memory_budget
  kDuplicateName = 16,        // two nodes, outputs, tensors or metadata keys with one name
  kOpNameMismatch = 17,       // an op id whose op has another name than the file says
  kBadDType = 18,             // a dtype number that is not a DType
  kRankLimit = 19,            // a shape of rank above format::kMaxRank (32)
  kMissingField = 20,         // a required field (name, graph or training state) is absent
  kTypeMismatch = 21,         // declared types differ from the inferred ones / the data's
  kInvalidNode = 22,          // the op's shape inference rejects the node's inputs
  kBadData = 23,              // tensor bytes invalid for their dtype (bool not 0/1), data on a
                              // node that cannot have it or none where it must
  kBadSymbol = 24,            // a symbolic dim name that is not an identifier
  kInvalidGraph = 25,         // the loaded graph fails Verify() (a check the loader lacks)
  kWrongFileKind = 26,        // a checkpoint given to Model::Load, or a model to LoadCheckpoint
};

std::string_view LoadErrorCodeName(LoadErrorCode code);

// A model file that fails verification or validation.
class ModelFormatError : public FormatError {
 public:
  ModelFormatError(LoadErrorCode code, std::string path, const std::string& message);
  LoadErrorCode load_code() const { return load_code_; }
  const std::string& field_path() const { return field_path_; }  // "nodes[12].inputs[1]"

 private:
  LoadErrorCode load_code_;
  std::string field_path_;
};

using Metadata = std::map<std::string, std::string, std::less<>>;

struct LoadOptions {
  // The most bytes the loaded model may need (weights copied or mapped, declared tensors);
  // checked before anything is allocated. 0: the machine's physical memory.
  uint64_t memory_budget = 0;
  bool mmap = true;  // map the weight section instead of reading it (weights become views)
};

struct SaveOptions {
  Metadata metadata;  // user strings; "producer" and "bronze_version" are filled in
};

class Model {
 public:
  Model() = default;
  Model(Graph graph, Metadata metadata = {});

  // Throws IoError when the file cannot be read, ModelFormatError when it is not a valid model.
  static Model Load(const std::string& path, const LoadOptions& options = {});
  // The same over bytes in memory (the fuzz targets' entry point); weights are copied.
  static Model LoadFromMemory(std::span<const uint8_t> bytes, const LoadOptions& options = {});
  // Writes atomically (temporary file, flush, rename). Throws IoError.
  void Save(const std::string& path, const SaveOptions& options = {}) const;

  const Graph& graph() const { return graph_; }
  Graph& mutable_graph() { return graph_; }
  const Metadata& metadata() const { return metadata_; }
  // So a Model goes where a Graph is expected: Session(model, options).
  operator const Graph&() const { return graph_; }  // NOLINT(google-explicit-constructor)

 private:
  Graph graph_;
  Metadata metadata_;
};

// Whether `path` starts with the .bronze file identifier (else: text IR, for the CLI).
bool IsModelFile(const std::string& path);

// A training checkpoint: every parameter and state tensor by name (optimizer moments, running
// statistics, the dropout step counter) and the number of steps done.
struct Checkpoint {
  std::map<std::string, Tensor, std::less<>> tensors;
  int64_t step = 0;
  Metadata metadata;
};

// Atomic like Model::Save. Throws IoError.
void SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint);
// Throws IoError / ModelFormatError.
Checkpoint LoadCheckpoint(const std::string& path, const LoadOptions& options = {});

}  // namespace bronze
