// The public entry points of serialization/model_file.h: error codes and their names, the Model
// value type, Load / Save, checkpoints and the identifier sniffing used by the CLI. The format
// itself is in writer.cc, reader.cc and file_io.cc (format_internal.h).
#include "serialization/model_file.h"

#include <cstring>
#include <fstream>

#include "serialization/format_internal.h"

namespace bronze {

std::string_view LoadErrorCodeName(LoadErrorCode code) {
  switch (code) {
    case LoadErrorCode::kOk: return "ok";
    case LoadErrorCode::kTruncated: return "truncated";
    case LoadErrorCode::kBadIdentifier: return "bad_identifier";
    case LoadErrorCode::kUnsupportedVersion: return "unsupported_version";
    case LoadErrorCode::kMalformedBuffer: return "malformed_buffer";
    case LoadErrorCode::kIndexOutOfRange: return "index_out_of_range";
    case LoadErrorCode::kCycle: return "cycle";
    case LoadErrorCode::kArity: return "arity";
    case LoadErrorCode::kBadAttribute: return "bad_attribute";
    case LoadErrorCode::kNegativeDim: return "negative_dim";
    case LoadErrorCode::kElementCountOverflow: return "element_count_overflow";
    case LoadErrorCode::kWeightOutOfBounds: return "weight_out_of_bounds";
    case LoadErrorCode::kMisalignedWeights: return "misaligned_weights";
    case LoadErrorCode::kSizeMismatch: return "size_mismatch";
    case LoadErrorCode::kUnknownOp: return "unknown_op";
    case LoadErrorCode::kMemoryBudget: return "memory_budget";
    case LoadErrorCode::kDuplicateName: return "duplicate_name";
    case LoadErrorCode::kOpNameMismatch: return "op_name_mismatch";
    case LoadErrorCode::kBadDType: return "bad_dtype";
    case LoadErrorCode::kRankLimit: return "rank_limit";
    case LoadErrorCode::kMissingField: return "missing_field";
    case LoadErrorCode::kTypeMismatch: return "type_mismatch";
    case LoadErrorCode::kInvalidNode: return "invalid_node";
    case LoadErrorCode::kBadData: return "bad_data";
    case LoadErrorCode::kBadSymbol: return "bad_symbol";
    case LoadErrorCode::kInvalidGraph: return "invalid_graph";
    case LoadErrorCode::kWrongFileKind: return "wrong_file_kind";
  }
  return "unknown";
}

ModelFormatError::ModelFormatError(LoadErrorCode code, std::string path, const std::string& message)
    : FormatError(std::string(LoadErrorCodeName(code)) + ": " +
                  (path.empty() ? message : path + ": " + message)),
      load_code_(code),
      field_path_(std::move(path)) {}

Model::Model(Graph graph, Metadata metadata)
    : graph_(std::move(graph)), metadata_(std::move(metadata)) {}

bool IsModelFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char head[8] = {};
  if (!f.read(head, sizeof(head))) return false;
  return std::memcmp(head + 4, "BRNZ", 4) == 0;  // the FlatBuffers file identifier
}

namespace {

Model ModelFrom(format::Decoded decoded) {
  if (!decoded.has_graph) {
    throw ModelFormatError(LoadErrorCode::kWrongFileKind, "graph",
                           "the file is a checkpoint (no graph): use LoadCheckpoint");
  }
  return Model(std::move(decoded.graph), std::move(decoded.metadata));
}

Checkpoint CheckpointFrom(format::Decoded decoded) {
  if (!decoded.has_training) {
    throw ModelFormatError(LoadErrorCode::kWrongFileKind, "training",
                           "the file is a model without training state, not a checkpoint");
  }
  Checkpoint c = std::move(decoded.checkpoint);
  c.metadata = std::move(decoded.metadata);
  return c;
}

format::FileBytes ReadChecked(const std::string& path, const LoadOptions& options) {
  return format::ReadFile(path, options.mmap, options.memory_budget);
}

}  // namespace

Model Model::Load(const std::string& path, const LoadOptions& options) {
  return ModelFrom(format::Decode(ReadChecked(path, options), options));
}

Model Model::LoadFromMemory(std::span<const uint8_t> bytes, const LoadOptions& options) {
  format::FileBytes fb;
  fb.size = bytes.size();
  if (reinterpret_cast<uintptr_t>(bytes.data()) % format::kAlignment == 0) {
    fb.data = bytes.data();  // borrowed: the tensors are copied out
  } else {
    // FlatBuffers reads scalars in place: give it aligned memory (the tensors then view it).
    fb.storage = Storage::Allocate(std::max<size_t>(bytes.size(), 1), Device::CPU());
    if (!bytes.empty()) std::memcpy(fb.storage->data(), bytes.data(), bytes.size());
    fb.data = static_cast<const uint8_t*>(fb.storage->data());
  }
  return ModelFrom(format::Decode(fb, options));
}

void Model::Save(const std::string& path, const SaveOptions& options) const {
  Metadata metadata = metadata_;
  for (const auto& [k, v] : options.metadata) metadata[k] = v;
  format::WriteFileAtomically(path, format::EncodeModel(graph_, metadata));
}

void SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint) {
  format::WriteFileAtomically(path, format::EncodeCheckpoint(checkpoint));
}

Checkpoint LoadCheckpoint(const std::string& path, const LoadOptions& options) {
  return CheckpointFrom(format::Decode(ReadChecked(path, options), options));
}

}  // namespace bronze
