// The malformed-model generator (see malformed.h).
#include "malformed.h"

#include <cstring>

#include "serialization/bronze_generated.h"
#include "serialization/format_internal.h"

namespace bronze::testing {
namespace {

using E = LoadErrorCode;

struct Parts {
  std::unique_ptr<fb::ModelFileT> t;
  Bytes weights;
};

Parts Split(const Bytes& file) {
  const fb::ModelFile* root = fb::GetModelFile(file.data());
  Parts p;
  p.t.reset(root->UnPack());
  auto begin = file.begin() + static_cast<std::ptrdiff_t>(root->weight_section_offset());
  p.weights.assign(begin, begin + static_cast<std::ptrdiff_t>(root->weight_section_size()));
  return p;
}

Bytes Join(const Parts& p) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.ForceDefaults(true);
  fb::FinishModelFileBuffer(fbb, fb::ModelFile::Pack(fbb, p.t.get()));
  std::vector<uint8_t> table(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  format::FixWeightSectionOffset(table);
  Bytes out(format::AlignUp(table.size()), 0);
  std::memcpy(out.data(), table.data(), table.size());
  out.insert(out.end(), p.weights.begin(), p.weights.end());
  return out;
}

// Edits the unpacked table of `file` with `edit` and re-packs it.
std::function<Bytes(const Bytes&)> Edit(std::function<void(fb::ModelFileT&)> edit) {
  return [edit](const Bytes& file) {
    Parts p = Split(file);
    edit(*p.t);
    return Join(p);
  };
}

fb::NodeT& NodeNamed(fb::ModelFileT& t, const std::string& name) {
  for (auto& n : t.graph->nodes) {
    if (n->name == name) return *n;
  }
  throw InternalError("no node " + name);
}
int32_t IndexOf(fb::ModelFileT& t, const std::string& name) {
  for (size_t i = 0; i < t.graph->nodes.size(); ++i) {
    if (t.graph->nodes[i]->name == name) return static_cast<int32_t>(i);
  }
  throw InternalError("no node " + name);
}

}  // namespace

Graph DamageBaseGraph() {
  Graph g("damage_base");
  GraphBuilder b(g);
  b.SetLocation("model.py:3");
  Value x = b.Placeholder("x", DType::kF32, Shape{Dim::Symbol("N"), 3});
  b.SetLocation("");
  Value w = b.Parameter("w", Tensor::FromVector<float>({3, 2}, {1, 2, 3, 4, 5, 6}));
  Value bias = b.Parameter("b", Tensor::FromVector<float>({2}, {0.5f, -0.5f}));
  b.Constant(Tensor::FromVector<bool>({2}, {true, false}), "mask");
  Value h = b.Op1("add", {b.Op1("matmul", {x, w}, {}, "mm"), bias}, {}, "plus");
  b.Output("y", b.Op1("softmax", {h}, {{"axis", int64_t{-1}}}, "sm"));
  return g;
}

Bytes DamageBaseFile() {
  return format::ToBytes(format::EncodeModel(DamageBaseGraph(), {{"author", "test"}}));
}

Bytes Repack(const Bytes& file) { return Join(Split(file)); }

std::vector<Damage> DamageClasses() {
  std::vector<Damage> d;
  d.push_back({"truncation", E::kTruncated, "weight_section_size", [](const Bytes& f) {
                 return Bytes(f.begin(), f.end() - 20);
               }});
  d.push_back({"tiny file", E::kTruncated, "", [](const Bytes& f) {
                 return Bytes(f.begin(), f.begin() + 6);
               }});
  d.push_back({"bad identifier", E::kBadIdentifier, "", [](const Bytes& f) {
                 Bytes out = f;
                 std::memcpy(out.data() + 4, "ONNX", 4);
                 return out;
               }});
  d.push_back({"newer major version", E::kUnsupportedVersion, "version_major",
               Edit([](fb::ModelFileT& t) { t.version_major = format::kVersionMajor + 1; })});
  d.push_back({"malformed table", E::kMalformedBuffer, "", [](const Bytes& f) {
                 Bytes out = f;
                 // The root offset points at the identifier: its bytes become a wild vtable offset.
                 const uint32_t four = 4;
                 std::memcpy(out.data(), &four, 4);
                 return out;
               }});
  d.push_back({"input index out of range", E::kIndexOutOfRange, "nodes[5].inputs[1].node",
               Edit([](fb::ModelFileT& t) { NodeNamed(t, "plus").inputs[1] = fb::ValueRef(99, 0); })});
  d.push_back({"output index out of range", E::kIndexOutOfRange, "outputs[0].value.index",
               Edit([](fb::ModelFileT& t) { t.graph->outputs[0]->value->mutate_index(3); })});
  d.push_back({"cycle", E::kCycle, "nodes[4].inputs[0].node", Edit([](fb::ModelFileT& t) {
                 // mm reads sm (a later node): mm -> plus -> sm -> mm.
                 NodeNamed(t, "mm").inputs[0] = fb::ValueRef(IndexOf(t, "sm"), 0);
               })});
  d.push_back({"wrong arity", E::kArity, "nodes[5].inputs",
               Edit([](fb::ModelFileT& t) { NodeNamed(t, "plus").inputs.pop_back(); })});
  d.push_back({"mistyped attribute", E::kBadAttribute, "nodes[6].attrs", Edit([](fb::ModelFileT& t) {
                 auto& a = NodeNamed(t, "sm").attrs[0];
                 a->type = static_cast<uint8_t>(AttrType::kFloat);
                 a->f = 1.5;
               })});
  d.push_back({"negative dim", E::kNegativeDim, "nodes[1].data.dims[0]",
               Edit([](fb::ModelFileT& t) { NodeNamed(t, "w").data->dims[0] = -3; })});
  d.push_back({"element count overflow", E::kElementCountOverflow, "nodes[1].data.dims",
               Edit([](fb::ModelFileT& t) {
                 NodeNamed(t, "w").data->dims = {int64_t{1} << 40, int64_t{1} << 40};
               })});
  d.push_back({"weight offset past the end", E::kWeightOutOfBounds, "nodes[2].data.offset",
               Edit([](fb::ModelFileT& t) {
                 NodeNamed(t, "b").data->offset = format::AlignUp(t.weight_section_size) + 64;
               })});
  d.push_back({"misaligned weights", E::kMisalignedWeights, "nodes[2].data.offset",
               Edit([](fb::ModelFileT& t) { NodeNamed(t, "b").data->offset += 4; })});
  d.push_back({"size mismatch", E::kSizeMismatch, "nodes[1].data.size",
               Edit([](fb::ModelFileT& t) { NodeNamed(t, "w").data->size -= 4; })});
  d.push_back({"unknown op", E::kUnknownOp, "nodes[5].op_id",
               Edit([](fb::ModelFileT& t) { NodeNamed(t, "plus").op_id = 0x7fff0000; })});
  d.push_back({"tensor beyond the memory budget", E::kMemoryBudget, "nodes[1].data",
               Edit([](fb::ModelFileT& t) {
                 auto& data = NodeNamed(t, "w").data;
                 data->dims = {int64_t{1} << 40};  // 2^40 f32 elements: 4 TiB
                 data->size = uint64_t{4} << 40;
               })});
  d.push_back({"duplicate node names", E::kDuplicateName, "nodes[2].name",
               Edit([](fb::ModelFileT& t) { NodeNamed(t, "b").name = "w"; })});
  d.push_back({"op name differs from its id", E::kOpNameMismatch, "nodes[5].op_name",
               Edit([](fb::ModelFileT& t) { NodeNamed(t, "plus").op_name = "sub"; })});
  d.push_back({"bad dtype", E::kBadDType, "nodes[4].outputs[0].dtype",
               Edit([](fb::ModelFileT& t) { NodeNamed(t, "mm").outputs[0]->dtype = 77; })});
  d.push_back({"rank above the limit", E::kRankLimit, "nodes[4].outputs[0].shape.dims",
               Edit([](fb::ModelFileT& t) {
                 auto& dims = NodeNamed(t, "mm").outputs[0]->shape->dims;
                 while (dims.size() <= static_cast<size_t>(format::kMaxRank)) {
                   dims.push_back(std::make_unique<fb::DimT>());
                   dims.back()->coeff = 1;
                 }
               })});
  d.push_back({"missing node name", E::kMissingField, "nodes[",
               Edit([](fb::ModelFileT& t) { NodeNamed(t, "plus").name.clear(); })});
  d.push_back({"declared type differs from the inferred one", E::kTypeMismatch, "nodes[4].outputs",
               Edit([](fb::ModelFileT& t) {
                 NodeNamed(t, "mm").outputs[0]->shape->dims[1]->coeff = 5;
               })});
  d.push_back({"shapes the op rejects", E::kInvalidNode, "nodes[4]", Edit([](fb::ModelFileT& t) {
                 // x becomes f32[N, 4]: attribute and declared type agree, matmul does not.
                 fb::NodeT& x = NodeNamed(t, "x");
                 x.outputs[0]->shape->dims[1]->coeff = 4;
                 for (auto& a : x.attrs) {
                   if (a->name == "shape") a->shape->dims[1]->coeff = 4;
                 }
               })});
  d.push_back({"invalid bool data", E::kBadData, "nodes[3].data", [](const Bytes& f) {
                 Bytes out = f;
                 const fb::ModelFile* root = fb::GetModelFile(out.data());
                 for (const fb::Node* n : *root->graph()->nodes()) {
                   if (n->name()->str() == "mask") {
                     out[root->weight_section_offset() + n->data()->offset()] = 7;
                   }
                 }
                 return out;
               }});
  d.push_back({"bad symbol name", E::kBadSymbol, "nodes[0].outputs[0].shape.dims[0].symbols[0]",
               Edit([](fb::ModelFileT& t) {
                 NodeNamed(t, "x").outputs[0]->shape->dims[0]->symbols[0] = "9 bad";
               })});
  d.push_back({"misaligned weight section", E::kMisalignedWeights, "weight_section_offset",
               [](const Bytes& f) {
                 Bytes out = f;
                 fb::GetMutableModelFile(out.data())->mutate_weight_section_offset(
                     fb::GetModelFile(out.data())->weight_section_offset() - 8);
                 return out;
               }});
  return d;
}

}  // namespace bronze::testing
