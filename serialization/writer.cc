// The .bronze writer: encodes a Graph (nodes in topological order, inputs as (node index, output
// index), typed attributes, symbolic shapes, locations, outputs), a metadata map and optionally a
// training state into the FlatBuffers table, and lays the tensors out in the 64-byte-aligned
// weight section. The bytes are not copied: segments point into the tensors.
#include <cstring>

#include "graph/op_registry.h"
#include "serialization/bronze_generated.h"
#include "serialization/format_internal.h"

namespace bronze::format {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

class Encoder {
 public:
  Encoder() { fbb_.ForceDefaults(true); }

  Offset<fb::Shape> EncodeShape(const Shape& shape) {
    std::vector<Offset<fb::Dim>> dims;
    for (const Dim& d : shape.dims()) {
      std::vector<Offset<flatbuffers::String>> symbols;
      for (const std::string& s : d.symbols()) symbols.push_back(fbb_.CreateString(s));
      dims.push_back(fb::CreateDim(fbb_, d.coefficient(), fbb_.CreateVector(symbols)));
    }
    return fb::CreateShape(fbb_, fbb_.CreateVector(dims));
  }

  Offset<fb::Attr> EncodeAttr(const std::string& name, const Attribute& a) {
    auto n = fbb_.CreateString(name);
    Offset<flatbuffers::String> s;
    Offset<flatbuffers::Vector<int64_t>> ints;
    Offset<flatbuffers::Vector<double>> floats;
    Offset<fb::Shape> shape;
    switch (a.type()) {
      case AttrType::kString: s = fbb_.CreateString(a.s()); break;
      case AttrType::kInts: ints = fbb_.CreateVector(a.ints()); break;
      case AttrType::kFloats: floats = fbb_.CreateVector(a.floats()); break;
      case AttrType::kShape: shape = EncodeShape(a.shape()); break;
      default: break;
    }
    fb::AttrBuilder b(fbb_);
    b.add_name(n);
    b.add_type(static_cast<uint8_t>(a.type()));
    if (a.type() == AttrType::kInt) b.add_i(a.i());
    if (a.type() == AttrType::kFloat) b.add_f(a.f());
    if (a.type() == AttrType::kDType) b.add_dtype(static_cast<uint8_t>(a.dtype()));
    if (!s.IsNull()) b.add_s(s);
    if (!ints.IsNull()) b.add_ints(ints);
    if (!floats.IsNull()) b.add_floats(floats);
    if (!shape.IsNull()) b.add_shape(shape);
    return b.Finish();
  }

  Offset<fb::TensorType> EncodeType(const TensorType& t) {
    auto shape = EncodeShape(t.shape);
    return fb::CreateTensorType(fbb_, static_cast<uint8_t>(t.dtype), shape);
  }

  // Places `t` in the weight section.
  Offset<fb::TensorData> EncodeTensor(const Tensor& tensor) {
    Tensor t = tensor.device() == Device::CPU() ? tensor : tensor.To(Device::CPU());
    uint64_t offset = AlignUp(file_.weight_section_size);
    uint64_t size = t.nbytes();
    if (size > 0) file_.segments.push_back({t.raw_data(), offset, size});
    file_.weight_section_size = offset + size;
    file_.keep_alive.push_back(t);
    std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
    return fb::CreateTensorData(fbb_, static_cast<uint8_t>(t.dtype()), fbb_.CreateVector(dims),
                                offset, size);
  }

  Offset<fb::Graph> EncodeGraph(const Graph& graph) {
    std::vector<NodeId> order = graph.TopologicalOrder();
    std::vector<int32_t> index(graph.id_bound(), -1);
    for (size_t i = 0; i < order.size(); ++i) index[order[i]] = static_cast<int32_t>(i);
    std::vector<Offset<fb::Node>> nodes;
    for (NodeId id : order) {
      const Node& n = graph.node(id);
      std::vector<fb::ValueRef> inputs;
      for (const Value& v : n.inputs) inputs.emplace_back(index[v.node], v.index);
      std::vector<Offset<fb::Attr>> attrs;
      for (const auto& [name, a] : n.attrs) attrs.push_back(EncodeAttr(name, a));
      std::vector<Offset<fb::TensorType>> outputs;
      for (const TensorType& t : n.outputs) outputs.push_back(EncodeType(t));
      Offset<fb::TensorData> data;
      if (n.data.defined()) data = EncodeTensor(n.data);
      nodes.push_back(fb::CreateNode(
          fbb_, fbb_.CreateString(n.name), n.op->id, fbb_.CreateString(n.op->name),
          fbb_.CreateVectorOfStructs(inputs), fbb_.CreateVector(attrs),
          fbb_.CreateVector(outputs), fbb_.CreateString(n.location), data));
    }
    std::vector<Offset<fb::GraphOutput>> outputs;
    for (const GraphOutput& o : graph.outputs()) {
      fb::ValueRef v(index[o.value.node], o.value.index);
      outputs.push_back(fb::CreateGraphOutput(fbb_, fbb_.CreateString(o.name), &v));
    }
    return fb::CreateGraph(fbb_, fbb_.CreateString(graph.name()), fbb_.CreateVector(nodes),
                           fbb_.CreateVector(outputs));
  }

  Offset<flatbuffers::Vector<Offset<fb::KeyValue>>> EncodeMetadata(const Metadata& metadata) {
    std::vector<Offset<fb::KeyValue>> kvs;
    for (const auto& [k, v] : metadata) {
      kvs.push_back(fb::CreateKeyValue(fbb_, fbb_.CreateString(k), fbb_.CreateString(v)));
    }
    return fbb_.CreateVector(kvs);
  }

  Offset<fb::TrainingState> EncodeTraining(const Checkpoint& c) {
    std::vector<Offset<fb::NamedTensor>> tensors;
    for (const auto& [name, t] : c.tensors) {
      auto n = fbb_.CreateString(name);
      tensors.push_back(fb::CreateNamedTensor(fbb_, n, EncodeTensor(t)));
    }
    return fb::CreateTrainingState(fbb_, c.step, fbb_.CreateVector(tensors));
  }

  EncodedFile Finish(Offset<fb::Graph> graph, Offset<fb::TrainingState> training,
                     const Metadata& metadata) {
    auto md = EncodeMetadata(metadata);
    auto root = fb::CreateModelFile(fbb_, kVersionMajor, kVersionMinor, graph, md, training, 0,
                                    file_.weight_section_size);
    fb::FinishModelFileBuffer(fbb_, root);
    file_.table.assign(fbb_.GetBufferPointer(), fbb_.GetBufferPointer() + fbb_.GetSize());
    FixWeightSectionOffset(file_.table);
    return std::move(file_);
  }

 private:
  FlatBufferBuilder fbb_{1024};
  EncodedFile file_;
};

Metadata WithVersion(Metadata metadata) {
  if (!metadata.count("producer")) metadata["producer"] = "bronze";
  metadata["bronze_version"] = BRONZE_VERSION_STRING;
  return metadata;
}

}  // namespace

void FixWeightSectionOffset(std::vector<uint8_t>& table) {
  fb::ModelFile* root = fb::GetMutableModelFile(table.data());
  if (!root->mutate_weight_section_offset(AlignUp(table.size()))) {
    ThrowInternal("ModelFile table without a stored weight_section_offset field");
  }
}

EncodedFile EncodeModel(const Graph& graph, const Metadata& metadata) {
  Encoder e;
  auto g = e.EncodeGraph(graph);
  return e.Finish(g, 0, WithVersion(metadata));
}

EncodedFile EncodeCheckpoint(const Checkpoint& checkpoint) {
  Encoder e;
  auto t = e.EncodeTraining(checkpoint);
  return e.Finish(0, t, WithVersion(checkpoint.metadata));
}

std::vector<uint8_t> ToBytes(const EncodedFile& file) {
  std::vector<uint8_t> out(file.total_size(), 0);
  std::memcpy(out.data(), file.table.data(), file.table.size());
  uint64_t base = AlignUp(file.table.size());
  for (const Segment& s : file.segments) std::memcpy(out.data() + base + s.offset, s.data, s.size);
  return out;
}

}  // namespace bronze::format
