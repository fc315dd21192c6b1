// The .bronze reader. Nothing in the file is trusted: the header (identifier, version, weight
// section bounds) is checked first, then the FlatBuffers verifier (with alignment checks) runs
// over the table, then one linear pass of semantic validation over the nodes in file order
// (names, op ids, input indices pointing at earlier nodes, arity, attributes through the same
// checks the builder uses, shapes, checked 64-bit sizes, tensor bounds and alignment, the memory
// budget) builds the graph; tensor bytes are attached only after the whole pass succeeded, and
// Verify() runs last. Every failure throws ModelFormatError with its LoadErrorCode and the path
// of the bad field.
#include <unistd.h>

#include <cstring>
#include <unordered_set>

#include "graph/op_registry.h"
#include "graph/verifier.h"
#include "serialization/bronze_generated.h"
#include "serialization/format_internal.h"

namespace bronze::format {
namespace {

using E = LoadErrorCode;

std::string Range(int64_t v, int64_t hi) {
  return "= " + std::to_string(v) + " not in [0, " + std::to_string(hi) + ")";
}

uint64_t PhysicalMemory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return uint64_t{1} << 34;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
}

bool ValidDType(uint8_t d) { return d >= 1 && d <= 8; }

// A tensor of the weight section, checked.
struct TensorRef {
  DType dtype;
  Dims dims;
  uint64_t offset;  // in the weight section
  uint64_t size;
};

class Reader {
 public:
  Reader(const FileBytes& bytes, const LoadOptions& options)
      : bytes_(bytes),
        budget_(options.memory_budget ? options.memory_budget : PhysicalMemory()) {}

  Decoded Read() {
    CheckHeaderAndVerify();
    Decoded out;
    const fb::ModelFile* root = fb::GetModelFile(bytes_.data);
    ReadMetadata(root, out.metadata);
    if (root->graph()) {
      out.has_graph = true;
      ReadGraph(*root->graph(), out.graph);
    }
    if (root->training()) {
      out.has_training = true;
      ReadTraining(*root->training(), out.checkpoint);
    }
    if (!out.has_graph && !out.has_training) {
      Fail(E::kMissingField, "graph", "the file holds neither a graph nor a training state");
    }
    // Everything is checked: attach the tensors.
    for (auto& [node, ref] : node_data_) out.graph.node(node).data = MakeTensor(ref);
    for (auto& [name, ref] : named_data_) out.checkpoint.tensors[name] = MakeTensor(ref);
    if (out.has_graph) {
      try {
        Verify(out.graph);
      } catch (const Error& e) {
        Fail(E::kInvalidGraph, "graph", std::string("the graph fails verification: ") + e.what());
      }
    }
    return out;
  }

 private:
  [[noreturn]] void Fail(E code, const std::string& path, const std::string& message) {
    throw ModelFormatError(code, path, context_.empty() ? message : message + " (" + context_ + ")");
  }

  void CheckHeaderAndVerify() {
    const uint8_t* p = bytes_.data;
    uint64_t n = bytes_.size;
    if (n < 8) Fail(E::kTruncated, "", std::to_string(n) + " bytes, shorter than the 8-byte header");
    if (std::memcmp(p + 4, kIdentifier, 4) != 0) {
      Fail(E::kBadIdentifier, "", "no \"BRNZ\" file identifier at byte 4: not a .bronze file");
    }
    uint32_t root_offset = flatbuffers::ReadScalar<uint32_t>(p);
    if (root_offset % 4 != 0 || uint64_t{root_offset} + 4 > n) {
      Fail(E::kTruncated, "", "root table offset " + std::to_string(root_offset) +
                                  " is past the end of the file (" + std::to_string(n) + " bytes)");
    }
    // The root table alone, enough to read the version and the weight section bounds safely.
    {
      flatbuffers::Verifier v(p, std::min<uint64_t>(n, FLATBUFFERS_MAX_BUFFER_SIZE - 1));
      const auto* root = reinterpret_cast<const flatbuffers::Table*>(p + root_offset);
      if (!root->VerifyTableStart(v) ||
          !root->VerifyField<uint16_t>(v, fb::ModelFile::VT_VERSION_MAJOR, 2) ||
          !root->VerifyField<uint16_t>(v, fb::ModelFile::VT_VERSION_MINOR, 2) ||
          !root->VerifyField<uint64_t>(v, fb::ModelFile::VT_WEIGHT_SECTION_OFFSET, 8) ||
          !root->VerifyField<uint64_t>(v, fb::ModelFile::VT_WEIGHT_SECTION_SIZE, 8)) {
        Fail(E::kMalformedBuffer, "", "the root table fails FlatBuffers verification");
      }
    }
    const fb::ModelFile* root = fb::GetModelFile(p);
    if (root->version_major() > kVersionMajor) {
      Fail(E::kUnsupportedVersion, "version_major",
           "schema version " + std::to_string(root->version_major()) + "." +
               std::to_string(root->version_minor()) + " is newer than this reader's " +
               std::to_string(kVersionMajor) + "." + std::to_string(kVersionMinor));
    }
    if (root->version_major() < 1) {
      Fail(E::kUnsupportedVersion, "version_major", "schema version 0 does not exist");
    }
    weights_ = root->weight_section_offset();
    weights_size_ = root->weight_section_size();
    if (weights_ % kAlignment != 0) {
      Fail(E::kMisalignedWeights, "weight_section_offset",
           "= " + std::to_string(weights_) + " is not a multiple of 64");
    }
    uint64_t end = 0;
    if (__builtin_add_overflow(weights_, weights_size_, &end) || end > n) {
      Fail(E::kTruncated, "weight_section_size",
           "the weight section [" + std::to_string(weights_) + ", +" +
               std::to_string(weights_size_) + ") ends past the end of the file (" +
               std::to_string(n) + " bytes)");
    }
    if (weights_ >= FLATBUFFERS_MAX_BUFFER_SIZE) {
      Fail(E::kMalformedBuffer, "weight_section_offset", "the table is larger than 2 GiB");
    }
    flatbuffers::Verifier v(p, weights_, /*max_depth=*/64, /*max_tables=*/100000000,
                            /*check_alignment=*/true);
    if (!fb::VerifyModelFileBuffer(v)) {
      Fail(E::kMalformedBuffer, "", "the table fails FlatBuffers verification");
    }
  }

  void ReadMetadata(const fb::ModelFile* root, Metadata& out) {
    if (!root->metadata()) return;
    const auto& kvs = *root->metadata();
    for (uint32_t i = 0; i < kvs.size(); ++i) {
      std::string path = "metadata[" + std::to_string(i) + "]";
      const fb::KeyValue* kv = kvs.Get(i);
      if (!kv->key()) Fail(E::kMissingField, path + ".key", "metadata entry without a key");
      std::string key = kv->key()->str();
      if (out.count(key)) Fail(E::kDuplicateName, path + ".key", "metadata key '" + key + "' repeats");
      out[key] = kv->value() ? kv->value()->str() : "";
    }
  }

  // Checked element count and byte size of concrete dims.
  void CheckedSize(const Dims& dims, DType dtype, const std::string& path, int64_t* numel,
                   uint64_t* bytes) {
    int64_t count = 1;
    for (int64_t d : dims) {
      if (__builtin_mul_overflow(count, d, &count)) {
        Fail(E::kElementCountOverflow, path,
             "the element count of " + DimsToString(dims) + " overflows 64 bits");
      }
    }
    uint64_t b = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(count), DTypeSize(dtype), &b)) {
      Fail(E::kElementCountOverflow, path,
           "the byte size of " + DimsToString(dims) + " overflows 64 bits");
    }
    *numel = count;
    *bytes = b;
  }

  void ChargeBudget(uint64_t bytes, const std::string& path, const std::string& what) {
    if (__builtin_add_overflow(used_, bytes, &used_) || used_ > budget_) {
      Fail(E::kMemoryBudget, path,
           what + " needs " + std::to_string(bytes) + " bytes; the model would exceed the memory "
               "budget of " + std::to_string(budget_) + " bytes");
    }
  }

  TensorRef ReadTensorData(const fb::TensorData* t, const std::string& path) {
    if (!ValidDType(t->dtype())) {
      Fail(E::kBadDType, path + ".dtype", "= " + std::to_string(t->dtype()) + " is not a dtype");
    }
    TensorRef r{static_cast<DType>(t->dtype()), {}, t->offset(), t->size()};
    CheckElementAlignment(t->dims(), path + ".dims");
    if (t->dims()) {
      if (t->dims()->size() > kMaxRank) {
        Fail(E::kRankLimit, path + ".dims", "rank " + std::to_string(t->dims()->size()) +
                                                " is above the limit of " + std::to_string(kMaxRank));
      }
      for (uint32_t k = 0; k < t->dims()->size(); ++k) {
        int64_t d = t->dims()->Get(k);
        if (d < 0) {
          Fail(E::kNegativeDim, path + ".dims[" + std::to_string(k) + "]",
               "= " + std::to_string(d) + " is negative");
        }
        r.dims.push_back(d);
      }
    }
    int64_t numel = 0;
    uint64_t bytes = 0;
    CheckedSize(r.dims, r.dtype, path + ".dims", &numel, &bytes);
    ChargeBudget(bytes, path, "tensor " + DimsToString(r.dims));
    if (r.size != bytes) {
      Fail(E::kSizeMismatch, path + ".size",
           "= " + std::to_string(r.size) + " but " + std::string(DTypeName(r.dtype)) +
               DimsToString(r.dims) + " has " + std::to_string(bytes) + " bytes");
    }
    if (r.offset % kAlignment != 0) {
      Fail(E::kMisalignedWeights, path + ".offset",
           "= " + std::to_string(r.offset) + " is not a multiple of 64");
    }
    uint64_t end = 0;
    if (__builtin_add_overflow(r.offset, r.size, &end) || end > weights_size_) {
      Fail(E::kWeightOutOfBounds, path + ".offset",
           "bytes [" + std::to_string(r.offset) + ", +" + std::to_string(r.size) +
               ") are outside the weight section of " + std::to_string(weights_size_) + " bytes");
    }
    if (r.dtype == DType::kBool) {
      const uint8_t* p = bytes_.data + weights_ + r.offset;
      for (uint64_t i = 0; i < r.size; ++i) {
        if (p[i] > 1) {
          Fail(E::kBadData, path, "bool element " + std::to_string(i) + " has the byte value " +
                                      std::to_string(p[i]) + " (only 0 and 1 are valid)");
        }
      }
    }
    return r;
  }

  Tensor MakeTensor(const TensorRef& r) {
    if (bytes_.storage) {
      return Tensor::OnStorage(bytes_.storage, weights_ + r.offset, r.dtype, r.dims);
    }
    Tensor t = Tensor::Empty(r.dtype, r.dims);
    if (r.size) std::memcpy(t.raw_data(), bytes_.data + weights_ + r.offset, r.size);
    return t;
  }

  Dim ReadDim(const fb::Dim* d, const std::string& path, bool tensor_shape) {
    if (!d) Fail(E::kMissingField, path, "dim without a value");
    Dim out(d->coeff());
    bool symbolic = d->symbols() && d->symbols()->size() > 0;
    if (symbolic) {
      if (d->coeff() < 1) {
        Fail(E::kNegativeDim, path + ".coeff",
             "= " + std::to_string(d->coeff()) + ": a symbolic dim needs a coefficient >= 1");
      }
      if (d->symbols()->size() > kMaxRank) {
        Fail(E::kRankLimit, path + ".symbols", "more than " + std::to_string(kMaxRank) + " symbols");
      }
      for (uint32_t k = 0; k < d->symbols()->size(); ++k) {
        std::string sym_path = path + ".symbols[" + std::to_string(k) + "]";
        const flatbuffers::String* s = d->symbols()->Get(k);
        if (!s) Fail(E::kMissingField, sym_path, "symbol without a name");
        try {
          out = out * Dim::Symbol(s->string_view());
        } catch (const Error& e) {
          Fail(E::kBadSymbol, sym_path, e.message());
        }
      }
    } else if (tensor_shape && d->coeff() < 0) {
      Fail(E::kNegativeDim, path, "= " + std::to_string(d->coeff()) + " is negative");
    }
    return out;
  }

  Shape ReadShape(const fb::Shape* s, const std::string& path, bool tensor_shape) {
    if (!s) Fail(E::kMissingField, path, "shape without a value");
    std::vector<Dim> dims;
    if (s->dims()) {
      if (s->dims()->size() > kMaxRank) {
        Fail(E::kRankLimit, path + ".dims", "rank " + std::to_string(s->dims()->size()) +
                                                " is above the limit of " + std::to_string(kMaxRank));
      }
      for (uint32_t k = 0; k < s->dims()->size(); ++k) {
        dims.push_back(ReadDim(s->dims()->Get(k), path + ".dims[" + std::to_string(k) + "]",
                               tensor_shape));
      }
    }
    return Shape(std::move(dims));
  }

  TensorType ReadType(const fb::TensorType* t, const std::string& path) {
    if (!t) Fail(E::kMissingField, path, "type without a value");
    if (!ValidDType(t->dtype())) {
      Fail(E::kBadDType, path + ".dtype", "= " + std::to_string(t->dtype()) + " is not a dtype");
    }
    TensorType out{static_cast<DType>(t->dtype()), ReadShape(t->shape(), path + ".shape", true)};
    // A static declared tensor must fit the budget on its own and have a 64-bit size.
    Dims dims;
    bool is_static = true;
    for (const Dim& d : out.shape.dims()) {
      if (!d.is_static()) is_static = false;
      dims.push_back(d.coefficient());  // for symbolic dims: a lower bound of the size
    }
    int64_t numel = 0;
    uint64_t bytes = 0;
    CheckedSize(dims, out.dtype, path + ".shape", &numel, &bytes);
    if (is_static && bytes > budget_) {
      Fail(E::kMemoryBudget, path + ".shape",
           "a declared " + out.ToString() + " tensor of " + std::to_string(bytes) +
               " bytes exceeds the memory budget of " + std::to_string(budget_) + " bytes");
    }
    return out;
  }

  Attribute ReadAttr(const fb::Attr* a, const std::string& path) {
    switch (a->type()) {
      case static_cast<uint8_t>(AttrType::kInt): return Attribute(a->i());
      case static_cast<uint8_t>(AttrType::kFloat): return Attribute(a->f());
      case static_cast<uint8_t>(AttrType::kString):
        if (!a->s()) Fail(E::kBadAttribute, path + ".s", "string attribute without a value");
        return Attribute(a->s()->str());
      case static_cast<uint8_t>(AttrType::kDType):
        if (!ValidDType(a->dtype())) {
          Fail(E::kBadAttribute, path + ".dtype",
               "= " + std::to_string(a->dtype()) + " is not a dtype");
        }
        return Attribute(static_cast<DType>(a->dtype()));
      case static_cast<uint8_t>(AttrType::kInts): {
        CheckElementAlignment(a->ints(), path + ".ints");
        std::vector<int64_t> v;
        if (a->ints()) v.assign(a->ints()->begin(), a->ints()->end());
        return Attribute(std::move(v));
      }
      case static_cast<uint8_t>(AttrType::kFloats): {
        CheckElementAlignment(a->floats(), path + ".floats");
        std::vector<double> v;
        if (a->floats()) v.assign(a->floats()->begin(), a->floats()->end());
        return Attribute(std::move(v));
      }
      case static_cast<uint8_t>(AttrType::kShape):
        return Attribute(ReadShape(a->shape(), path + ".shape", false));
      default:
        Fail(E::kBadAttribute, path + ".type",
             "= " + std::to_string(a->type()) + " is not an attribute type");
    }
  }

  Value ReadValueRef(const fb::ValueRef* v, int32_t before, const std::string& path,
                     const Graph& graph, const std::vector<NodeId>& ids, int32_t num_nodes) {
    if (!v) Fail(E::kMissingField, path, "value without a node");
    if (v->node() < 0 || v->node() >= num_nodes) {
      Fail(E::kIndexOutOfRange, path + ".node", Range(v->node(), num_nodes));
    }
    if (v->node() >= before) {
      Fail(E::kCycle, path + ".node",
           "= " + std::to_string(v->node()) + " is not an earlier node (nodes must be "
               "topologically ordered, so a cycle is impossible)");
    }
    const Node& src = graph.node(ids[static_cast<size_t>(v->node())]);
    int32_t outs = static_cast<int32_t>(src.outputs.size());
    if (v->index() < 0 || v->index() >= outs) {
      Fail(E::kIndexOutOfRange, path + ".index",
           Range(v->index(), outs) + " (outputs of " + src.Describe() + ")");
    }
    return Value{ids[static_cast<size_t>(v->node())], v->index()};
  }

  void ReadGraph(const fb::Graph& g, Graph& graph) {
    if (g.name()) graph.set_name(g.name()->str());
    const OpRegistry& registry = OpRegistry::Global();
    int32_t n = g.nodes() ? static_cast<int32_t>(g.nodes()->size()) : 0;
    std::vector<NodeId> ids;
    ids.reserve(static_cast<size_t>(n));
    std::unordered_set<std::string_view> names;
    for (int32_t i = 0; i < n; ++i) {
      std::string path = "nodes[" + std::to_string(i) + "]";
      const fb::Node* fn = g.nodes()->Get(static_cast<uint32_t>(i));
      if (!fn->name() || fn->name()->size() == 0) Fail(E::kMissingField, path + ".name", "node without a name");
      std::string name = fn->name()->str();
      if (!names.insert(fn->name()->string_view()).second) {
        Fail(E::kDuplicateName, path + ".name", "node name '" + name + "' repeats");
      }
      context_ = "node '" + name + "'";
      const OpSchema* op = registry.FindById(fn->op_id());
      if (!op) {
        Fail(E::kUnknownOp, path + ".op_id",
             "= " + std::to_string(fn->op_id()) + " is not a known op id" +
                 (fn->op_name() ? " (the file names it '" + fn->op_name()->str() + "')" : ""));
      }
      if (!fn->op_name() || fn->op_name()->string_view() != op->name) {
        context_ = "node '" + name + "' (" + op->name + ")";
        Fail(E::kOpNameMismatch, path + ".op_name",
             "op id " + std::to_string(op->id) + " is '" + op->name + "' but the file says '" +
                 (fn->op_name() ? fn->op_name()->str() : "") + "'");
      }
      context_ = "node '" + name + "' (" + op->name + ")";
      // Inputs: earlier nodes only.
      std::vector<Value> inputs;
      std::vector<TensorType> input_types;
      int32_t num_inputs = fn->inputs() ? static_cast<int32_t>(fn->inputs()->size()) : 0;
      if (num_inputs < op->min_inputs || (op->max_inputs != kVariadic && num_inputs > op->max_inputs)) {
        Fail(E::kArity, path + ".inputs",
             op->name + " takes " + op->ArityString() + " inputs, the node has " +
                 std::to_string(num_inputs));
      }
      for (int32_t k = 0; k < num_inputs; ++k) {
        Value v = ReadValueRef(fn->inputs()->Get(static_cast<uint32_t>(k)), i,
                               path + ".inputs[" + std::to_string(k) + "]", graph, ids, n);
        inputs.push_back(v);
        input_types.push_back(graph.type(v));
      }
      // Attributes: decoded, then the builder's own checks.
      AttrMap attrs;
      if (fn->attrs()) {
        for (uint32_t k = 0; k < fn->attrs()->size(); ++k) {
          std::string apath = path + ".attrs[" + std::to_string(k) + "]";
          const fb::Attr* a = fn->attrs()->Get(k);
          if (!a->name()) Fail(E::kMissingField, apath + ".name", "attribute without a name");
          std::string aname = a->name()->str();
          if (attrs.count(aname)) {
            Fail(E::kBadAttribute, apath + ".name", "attribute '" + aname + "' repeats");
          }
          attrs.emplace(aname, ReadAttr(a, apath));
        }
      }
      try {
        CheckAttributes(*op, attrs);
      } catch (const Error& e) {
        Fail(E::kBadAttribute, path + ".attrs", e.message());
      }
      // Declared output types, then the op's own inference over the inputs.
      std::vector<TensorType> outputs;
      if (fn->outputs()) {
        for (uint32_t k = 0; k < fn->outputs()->size(); ++k) {
          outputs.push_back(ReadType(fn->outputs()->Get(k),
                                     path + ".outputs[" + std::to_string(k) + "]"));
        }
      }
      std::string location = fn->location() ? fn->location()->str() : "";
      std::vector<TensorType> inferred;
      try {
        inferred = InferOutputTypes(*op, attrs, input_types, name, location);
      } catch (const AttributeError& e) {
        Fail(E::kBadAttribute, path + ".attrs", e.message());
      } catch (const Error& e) {
        Fail(E::kInvalidNode, path, e.message());
      }
      if (inferred != outputs) {
        std::string got, want;
        for (const TensorType& t : outputs) got += (got.empty() ? "" : ", ") + t.ToString();
        for (const TensorType& t : inferred) want += (want.empty() ? "" : ", ") + t.ToString();
        Fail(E::kTypeMismatch, path + ".outputs",
             "declares (" + got + ") but " + op->name + " infers (" + want + ")");
      }
      // Data: only source nodes, checked against the declared type; attached after the pass.
      if (fn->data()) {
        if (!op->is_source || op->name == "placeholder") {
          Fail(E::kBadData, path + ".data", "only parameter, state and constant nodes carry data");
        }
        TensorRef ref = ReadTensorData(fn->data(), path + ".data");
        if (outputs.size() != 1 || ref.dtype != outputs[0].dtype ||
            Shape::FromDims(ref.dims) != outputs[0].shape) {
          Fail(E::kTypeMismatch, path + ".data",
               "the data is " + std::string(DTypeName(ref.dtype)) + DimsToString(ref.dims) +
                   " but the node declares " + (outputs.empty() ? "nothing" : outputs[0].ToString()));
        }
        node_data_.emplace_back(static_cast<NodeId>(i), ref);
      } else if (op->name == "constant") {
        Fail(E::kBadData, path + ".data", "a constant without data");
      }
      context_.clear();
      ids.push_back(graph.AddNode(op, std::move(inputs), std::move(attrs), std::move(outputs),
                                  name, std::move(location)));
    }
    // Graph outputs.
    std::unordered_set<std::string_view> out_names;
    uint32_t num_outputs = g.outputs() ? g.outputs()->size() : 0;
    for (uint32_t k = 0; k < num_outputs; ++k) {
      std::string path = "outputs[" + std::to_string(k) + "]";
      const fb::GraphOutput* o = g.outputs()->Get(k);
      if (!o->name() || o->name()->size() == 0) Fail(E::kMissingField, path + ".name", "output without a name");
      if (!out_names.insert(o->name()->string_view()).second) {
        Fail(E::kDuplicateName, path + ".name", "output name '" + o->name()->str() + "' repeats");
      }
      Value v = ReadValueRef(o->value(), n, path + ".value", graph, ids, n);
      graph.AddOutput(o->name()->str(), v);
    }
  }

  void ReadTraining(const fb::TrainingState& t, Checkpoint& out) {
    if (t.step() < 0) Fail(E::kBadData, "training.step", "= " + std::to_string(t.step()) + " is negative");
    out.step = t.step();
    if (!t.tensors()) return;
    std::unordered_set<std::string_view> names;
    for (uint32_t k = 0; k < t.tensors()->size(); ++k) {
      std::string path = "training.tensors[" + std::to_string(k) + "]";
      const fb::NamedTensor* nt = t.tensors()->Get(k);
      if (!nt->name() || nt->name()->size() == 0) Fail(E::kMissingField, path + ".name", "tensor without a name");
      if (!names.insert(nt->name()->string_view()).second) {
        Fail(E::kDuplicateName, path + ".name", "tensor name '" + nt->name()->str() + "' repeats");
      }
      if (!nt->tensor()) Fail(E::kMissingField, path + ".tensor", "tensor without data");
      named_data_.emplace_back(nt->name()->str(), ReadTensorData(nt->tensor(), path + ".tensor"));
    }
  }

  // The FlatBuffers verifier (2.0.8) checks a vector's length field alignment, not that of 8-byte
  // elements: check it before reading them (fuzz finding).
  template <typename T>
  void CheckElementAlignment(const flatbuffers::Vector<T>* v, const std::string& path) {
    if (v && v->size() > 0 && reinterpret_cast<uintptr_t>(v->Data()) % alignof(T) != 0) {
      Fail(E::kMalformedBuffer, path, "vector elements are not " + std::to_string(alignof(T)) +
                                          "-byte aligned");
    }
  }

  const FileBytes& bytes_;
  uint64_t budget_;
  uint64_t used_ = 0;
  std::string context_;  // the node being read, for messages
  uint64_t weights_ = 0;
  uint64_t weights_size_ = 0;
  std::vector<std::pair<NodeId, TensorRef>> node_data_;
  std::vector<std::pair<std::string, TensorRef>> named_data_;
};

}  // namespace

Decoded Decode(const FileBytes& bytes, const LoadOptions& options) {
  return Reader(bytes, options).Read();
}

}  // namespace bronze::format
