// The parts of serialization/model_file.h that do not depend on the file format: the error type,
// the Model value type and the identifier sniffing used by the CLI. The format itself (Save,
// Load, checkpoints) lands with issue 6; until then those throw UnimplementedError.
#include "serialization/model_file.h"

#include <cstring>
#include <fstream>

namespace bronze {

std::string_view LoadErrorCodeName(LoadErrorCode code) {
  switch (code) {
    case LoadErrorCode::kOk: return "ok";
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

Model Model::Load(const std::string&, const LoadOptions&) {
  throw UnimplementedError("loading .bronze files is not implemented yet");
}
Model Model::LoadFromMemory(std::span<const uint8_t>, const LoadOptions&) {
  throw UnimplementedError("loading .bronze files is not implemented yet");
}
void Model::Save(const std::string&, const SaveOptions&) const {
  throw UnimplementedError("saving .bronze files is not implemented yet");
}
void SaveCheckpoint(const std::string&, const Checkpoint&) {
  throw UnimplementedError("checkpoints are not implemented yet");
}
Checkpoint LoadCheckpoint(const std::string&, const LoadOptions&) {
  throw UnimplementedError("checkpoints are not implemented yet");
}

}  // namespace bronze
