// The fused op family (ids 1000-1099): `fused_elementwise`, a chain or tree of elementwise and
// broadcast ops that the fuse pass (passes/fuse.cc) collapsed into one node, executed tile by
// tile so memory traffic is only the group's inputs and outputs; `fused_reduction`, one row
// reduction (softmax, layer_norm, reduce_sum, ...) with the elementwise ops computing its input
// and those reading its result, executed block of rows by block of rows. Their body is a small
// program in one string attribute (grammar in graph/ops/fused.h); this file parses, prints and
// type-checks it. Fused nodes are made after autodiff and are not differentiable.
#include "graph/ops/fused.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {

std::string FusedRef::ToString() const { return (input ? "in" : "t") + std::to_string(index); }

int FusedProgram::num_inputs() const {
  int n = 0;
  auto see = [&](const FusedRef& r) {
    if (r.input) n = std::max(n, r.index + 1);
  };
  for (const FusedInstr& in : instrs) {
    for (const FusedRef& r : in.args) see(r);
  }
  for (const FusedRef& r : outputs) see(r);
  return n;
}

namespace {

// Ops the CPU executor runs (kernels/cpu/fused.cc keeps its table in this order's spirit).
constexpr std::string_view kExecutorOps[] = {
    "add",        "sub",          "mul",        "div",       "pow",        "maximum",
    "minimum",    "equal",        "less",       "greater",   "where",      "logical_and",
    "logical_or", "relu",         "exp",        "neg",       "abs",        "log",
    "sqrt",       "rsqrt",        "reciprocal", "sin",       "cos",        "tanh",
    "sigmoid",    "silu",         "erf",        "gelu",      "leaky_relu", "clip",
    "relu_grad",  "sigmoid_grad", "tanh_grad",  "gelu_grad", "silu_grad",  "leaky_relu_grad",
    "clip_grad",  "stop_gradient"};

constexpr std::string_view kRowReductionOps[] = {
    "softmax",    "log_softmax", "layer_norm", "reduce_sum", "reduce_mean",
    "reduce_max", "reduce_min",  "logsumexp",  "mse",        "l1",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll"};

class Parser {
 public:
  Parser(std::string_view text, bool allow_reduction)
      : text_(text), allow_reduction_(allow_reduction) {}

  FusedProgram Parse() {
    FusedProgram p;
    SkipSpace();
    if (AtEnd()) Fail("the program is empty (expected instructions and a return)");
    while (true) {
      SkipSpace();
      std::string word = Identifier("an instruction 't<k> = op(...)' or 'return'");
      if (word == "return") {
        p.outputs.push_back(Ref(p, "an output"));
        SkipSpace();
        while (Accept(',')) p.outputs.push_back(Ref(p, "an output"));
        SkipSpace();
        Accept(';');
        SkipSpace();
        if (!AtEnd()) Fail("text after the return statement");
        break;
      }
      const std::string want = "t" + std::to_string(p.instrs.size());
      if (word != want) {
        Fail("instruction " + std::to_string(p.instrs.size()) + " must be named '" + want +
             "', got '" + word + "'");
      }
      Expect('=');
      p.instrs.push_back(Instr(p));
      SkipSpace();
      if (!Accept(';')) Fail("expected ';' after instruction " + want);
    }
    if (p.instrs.empty()) Fail("the program has no instructions");
    return p;
  }

 private:
  FusedInstr Instr(const FusedProgram& p) {
    const size_t at = pos_;
    SkipSpace();
    const std::string name = Identifier("an op name");
    const OpSchema* op = OpRegistry::Global().Find(name);
    if (!op) FailAt(at, "unknown op '" + name + "'");
    const bool reduction = allow_reduction_ && FusedRowReduction(name);
    if (!reduction && op->fusion != FusionKind::kElementwise &&
        op->fusion != FusionKind::kBroadcast) {
      FailAt(at, "op '" + name + "' is " + std::string(FusionKindName(op->fusion)) +
                     (allow_reduction_ ? ", not elementwise, broadcast or a row reduction"
                                       : ", not elementwise or broadcast") +
                     ": it cannot be fused");
    }
    if (!reduction && (op->has_side_effects || op->max_inputs == kVariadic ||
                       op->min_inputs != op->max_inputs || op->num_outputs != 1)) {
      FailAt(at, "op '" + name + "' cannot be fused (side effects or variable arity)");
    }
    FusedInstr in;
    in.op = op;
    Expect('(');
    SkipSpace();
    if (!Accept(')')) {
      in.args.push_back(Ref(p, "an operand"));
      SkipSpace();
      while (Accept(',')) {
        in.args.push_back(Ref(p, "an operand"));
        SkipSpace();
      }
      Expect(')');
    }
    const int nargs = static_cast<int>(in.args.size());
    if (nargs < op->min_inputs || nargs > op->max_inputs) {
      FailAt(at, "op '" + name + "' takes " + op->ArityString() + " operands, got " +
                     std::to_string(in.args.size()));
    }
    AttrMap given;
    SkipSpace();
    if (Accept('{')) {
      SkipSpace();
      if (!Accept('}')) {
        while (true) {
          SkipSpace();
          const std::string attr = Identifier("an attribute name");
          const AttrSpec* spec = op->FindAttr(attr);
          if (!spec) FailAt(at, "op '" + name + "' has no attribute '" + attr + "'");
          Expect('=');
          SkipSpace();
          given[attr] = Value(spec->type, name + "." + attr);
          SkipSpace();
          if (Accept('}')) break;
          Expect(',');
        }
      }
    }
    try {
      in.attrs = ResolveAttributes(*op, std::move(given));
      if (op->validate) op->validate(in.attrs);
    } catch (const Error& e) {
      FailAt(at,
             "instruction t" + std::to_string(p.instrs.size()) + " (" + name + "): " + e.message());
    }
    return in;
  }

  Attribute Value(AttrType type, const std::string& what) {
    switch (type) {
      case AttrType::kFloat: {
        const size_t start = pos_;
        while (!AtEnd() && (std::isalnum(static_cast<unsigned char>(Peek())) || Peek() == '.' ||
                            Peek() == '-' || Peek() == '+')) {
          ++pos_;
        }
        const std::string tok(text_.substr(start, pos_ - start));
        char* end = nullptr;
        const double v = std::strtod(tok.c_str(), &end);
        if (tok.empty() || end != tok.c_str() + tok.size())
          Fail(what + ": bad float '" + tok + "'");
        return Attribute(v);
      }
      case AttrType::kInt: {
        const size_t start = pos_;
        if (!AtEnd() && Peek() == '-') ++pos_;
        while (!AtEnd() && std::isdigit(static_cast<unsigned char>(Peek()))) ++pos_;
        int64_t v = 0;
        const auto r = std::from_chars(text_.data() + start, text_.data() + pos_, v);
        if (r.ec != std::errc() || r.ptr != text_.data() + pos_) Fail(what + ": bad integer");
        return Attribute(v);
      }
      case AttrType::kInts: {
        if (!Accept('[')) Fail(what + ": expected a list of integers in brackets");
        std::vector<int64_t> v;
        SkipSpace();
        if (!Accept(']')) {
          while (true) {
            SkipSpace();
            v.push_back(Value(AttrType::kInt, what).i());
            SkipSpace();
            if (Accept(']')) break;
            Expect(',');
          }
        }
        return Attribute(std::move(v));
      }
      case AttrType::kString: {
        if (!Accept('\'')) Fail(what + ": expected a string in single quotes");
        const size_t end = text_.find('\'', pos_);
        if (end == std::string_view::npos) Fail(what + ": unterminated string");
        std::string s(text_.substr(pos_, end - pos_));
        pos_ = end + 1;
        return Attribute(std::move(s));
      }
      case AttrType::kDType: {
        const std::string name = Identifier("a dtype");
        try {
          return Attribute(ParseDType(name));
        } catch (const Error&) {
          Fail(what + ": unknown dtype '" + name + "'");
        }
      }
      default:
        Fail(what + ": attributes of type " + std::string(AttrTypeName(type)) +
             " are not supported in fused programs");
    }
  }

  FusedRef Ref(const FusedProgram& p, const std::string& what) {
    SkipSpace();
    const size_t at = pos_;
    const std::string word = Identifier(what + " (in<k> or t<k>)");
    FusedRef r;
    std::string_view digits;
    if (word.rfind("in", 0) == 0) {
      r.input = true;
      digits = std::string_view(word).substr(2);
    } else if (word.rfind("t", 0) == 0) {
      digits = std::string_view(word).substr(1);
    }
    const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), r.index);
    if (digits.empty() || res.ec != std::errc() || res.ptr != digits.data() + digits.size() ||
        r.index < 0) {
      FailAt(at, "expected " + what + " (in<k> or t<k>), got '" + word + "'");
    }
    if (!r.input && r.index >= static_cast<int>(p.instrs.size())) {
      FailAt(at, "'" + word + "' is read before it is computed (instruction " +
                     std::to_string(p.instrs.size()) + ")");
    }
    return r;
  }

  std::string Identifier(const std::string& what) {
    const size_t start = pos_;
    while (!AtEnd() && (std::isalnum(static_cast<unsigned char>(Peek())) || Peek() == '_')) ++pos_;
    if (pos_ == start) Fail("expected " + what);
    return std::string(text_.substr(start, pos_ - start));
  }
  void SkipSpace() {
    while (!AtEnd() && std::isspace(static_cast<unsigned char>(Peek()))) ++pos_;
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  bool Accept(char c) {
    if (!AtEnd() && Peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void Expect(char c) {
    SkipSpace();
    if (!Accept(c)) Fail(std::string("expected '") + c + "'");
  }
  [[noreturn]] void Fail(const std::string& msg) { FailAt(pos_, msg); }
  [[noreturn]] void FailAt(size_t at, const std::string& msg) {
    throw AttributeError("fused program at character " + std::to_string(at) + ": " + msg);
  }

  std::string_view text_;
  bool allow_reduction_ = false;
  size_t pos_ = 0;
};

std::string AttrText(const Attribute& a) {
  if (a.type() == AttrType::kString) return "'" + a.s() + "'";
  return a.ToText();
}

// fused_elementwise and fused_reduction: a `program` attribute (a reduction allowed, and then
// required exactly once, in the second), variadic inputs and outputs, flops of one pass per
// instruction over the largest input or output (plus the reduction's few).
OpSchema FusedProgramOp(const char* name, uint32_t id, bool reduction, std::string doc) {
  OpSchema s = ops::MakeSchema(name, id, {"x"}, FusionKind::kOpaque, std::move(doc));
  s.max_inputs = kVariadic;
  s.num_outputs = kVariadic;
  s.dispatch_input = -1;
  s.attrs = {{"program", AttrType::kString, std::nullopt,
              "the instructions and outputs (see graph/ops/fused.h for the grammar)"}};
  s.validate = [reduction](const AttrMap& attrs) {
    const FusedProgram p = ParseFusedProgram(attrs.at("program").s(), reduction);
    if (reduction) FusedReductionIndex(p);
  };
  s.infer = [reduction](const InferContext& ctx) {
    return InferFusedTypes(ParseFusedProgram(ctx.attr("program").s(), reduction), ctx.inputs);
  };
  s.differentiability = Differentiability::kNotDifferentiable;
  s.cost = [reduction](const AttrMap& attrs, std::span<const TensorType> in,
                       std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    const FusedProgram p = ParseFusedProgram(attrs.at("program").s(), reduction);
    double numel = 0;
    for (const TensorType& t : in) numel = std::max(numel, ops::StaticNumel(t));
    for (const TensorType& t : out) numel = std::max(numel, ops::StaticNumel(t));
    c.flops = numel * static_cast<double>(p.instrs.size() + (reduction ? 4 : 0));
    return c;
  };
  return s;
}

OpSchema FusedElementwise() {
  return FusedProgramOp(
      "fused_elementwise", 1000, false,
      "A group of elementwise and broadcast ops fused by the `fuse` pass into one node: its "
      "`program` attribute lists the instructions (\"t0 = add(in0, in1); t1 = relu(t0); return "
      "t1\"), each an elementwise or broadcast op with its attributes, reading the node's inputs "
      "(in<k>) and earlier results (t<k>). Each result is exactly what that op would give "
      "(shapes broadcast as the ops say); the CPU executor computes the whole group tile by "
      "tile so intermediates never reach memory. Not differentiable: fusion runs after "
      "autodiff.");
}

OpSchema FusedReduction() {
  return FusedProgramOp(
      "fused_reduction", 1004, true,
      "One row reduction fused by the `fuse` pass with the elementwise ops computing its input "
      "(its prologue) and those reading its result (its epilogue): its `program` attribute "
      "lists the instructions as fused_elementwise's does (\"t0 = add(in0, in1); t1 = "
      "softmax(t0) {axis = -1}; t2 = mul(t1, in2); return t2\"), exactly one of them a softmax, "
      "log_softmax, layer_norm, reduce_sum, reduce_mean, reduce_max, reduce_min, logsumexp, or "
      "a pointwise loss (mse, l1, binary_cross_entropy_with_logits) or a class-index loss "
      "(cross_entropy, nll; the CPU executor blocks them over (N, C) rows). "
      "Each elementwise result is exactly what that op would give; the reduction runs on "
      "blocks of rows, so for rows of more than 65536 elements, and for a loss's mean or sum "
      "(per-block sums added in block order), its summation order and rounding may differ "
      "from the unfused op's. The CPU executor runs a block of rows at a "
      "time (reductions over trailing axes): the prologue into a cache-sized buffer, the "
      "reduction from it into another, the epilogue from that into the output, so neither "
      "intermediate reaches memory. Not differentiable: fusion runs after autodiff.");
}

}  // namespace

FusedProgram ParseFusedProgram(std::string_view text, bool allow_reduction) {
  return Parser(text, allow_reduction).Parse();
}

bool FusedRowReduction(std::string_view op) {
  return std::find(std::begin(kRowReductionOps), std::end(kRowReductionOps), op) !=
         std::end(kRowReductionOps);
}

int64_t RowReductionTrailingAxes(const OpSchema& op, const AttrMap& attrs, int64_t rank) {
  int64_t m = 0;
  if (op.name == "softmax" || op.name == "log_softmax") {
    if (rank < 1 || NormalizeAxis(attrs.at("axis").i(), rank, "axis") != rank - 1) return 0;
    m = 1;
  } else if (op.name == "layer_norm") {
    m = attrs.at("normalized_ndim").i();
  } else if (PointwiseLoss(op.name)) {
    m = 1;  // rows of the last axis; "mean" and "sum" add the rows' sums
  } else if (ClassIndexLoss(op.name)) {
    if (rank != 2) return 0;  // (N, C): classes last; (C) and (N, C, d1, ...) are not rows
    m = 1;
  } else if (FusedRowReduction(op.name)) {
    const std::vector<int64_t> axes = ops::ReductionAxes(attrs.at("axes").ints(), rank);
    m = static_cast<int64_t>(axes.size());
    for (int64_t k = 0; k < m; ++k) {
      if (axes[static_cast<size_t>(k)] != rank - m + k) return 0;
    }
  }
  return m >= 1 && m < rank ? m : 0;
}

bool PointwiseLoss(std::string_view op) {
  return op == "mse" || op == "l1" || op == "binary_cross_entropy_with_logits";
}

bool ClassIndexLoss(std::string_view op) { return op == "cross_entropy" || op == "nll"; }

int FusedReductionIndex(const FusedProgram& program) {
  int found = -1;
  for (size_t i = 0; i < program.instrs.size(); ++i) {
    if (!FusedRowReduction(program.instrs[i].op->name)) continue;
    if (found >= 0) {
      throw AttributeError("fused_reduction program has two reductions, t" +
                           std::to_string(found) + " (" +
                           program.instrs[static_cast<size_t>(found)].op->name + ") and t" +
                           std::to_string(i) + " (" + program.instrs[i].op->name +
                           "); it holds exactly one");
    }
    found = static_cast<int>(i);
  }
  if (found < 0) {
    throw AttributeError(
        "fused_reduction program has no reduction (softmax, log_softmax, layer_norm, "
        "reduce_sum, reduce_mean, reduce_max, reduce_min, logsumexp, mse, l1, "
        "binary_cross_entropy_with_logits, cross_entropy or nll); it holds exactly one");
  }
  return found;
}

std::string PrintFusedProgram(const FusedProgram& program) {
  std::string s;
  for (size_t i = 0; i < program.instrs.size(); ++i) {
    const FusedInstr& in = program.instrs[i];
    s += "t" + std::to_string(i) + " = " + in.op->name + "(";
    for (size_t k = 0; k < in.args.size(); ++k) s += (k ? ", " : "") + in.args[k].ToString();
    s += ")";
    if (!in.attrs.empty()) {
      s += " {";
      bool first = true;
      for (const auto& [name, value] : in.attrs) {
        s += (first ? "" : ", ") + name + " = " + AttrText(value);
        first = false;
      }
      s += "}";
    }
    s += "; ";
  }
  s += "return ";
  for (size_t k = 0; k < program.outputs.size(); ++k) {
    s += (k ? ", " : "") + program.outputs[k].ToString();
  }
  return s;
}

std::vector<TensorType> InferFusedTypes(const FusedProgram& program,
                                        std::span<const TensorType> inputs,
                                        std::vector<TensorType>* instr_types) {
  const int n = program.num_inputs();
  if (n != static_cast<int>(inputs.size())) {
    throw AttributeError("the fused program reads " + std::to_string(n) + " inputs (in0..in" +
                         std::to_string(n - 1) + ") but the node has " +
                         std::to_string(inputs.size()));
  }
  std::vector<bool> used(inputs.size(), false);
  std::vector<TensorType> temps;
  auto type_of = [&](const FusedRef& r) -> const TensorType& {
    if (r.input) {
      used[static_cast<size_t>(r.index)] = true;
      return inputs[static_cast<size_t>(r.index)];
    }
    return temps[static_cast<size_t>(r.index)];
  };
  for (size_t i = 0; i < program.instrs.size(); ++i) {
    const FusedInstr& in = program.instrs[i];
    std::vector<TensorType> args;
    for (const FusedRef& r : in.args) args.push_back(type_of(r));
    std::vector<TensorType> out =
        InferOutputTypes(*in.op, in.attrs, args, "t" + std::to_string(i), "");
    temps.push_back(std::move(out.at(0)));
  }
  std::vector<TensorType> outs;
  for (const FusedRef& r : program.outputs) outs.push_back(type_of(r));
  for (size_t k = 0; k < used.size(); ++k) {
    if (!used[k]) throw AttributeError("fused program never reads input in" + std::to_string(k));
  }
  if (instr_types) *instr_types = std::move(temps);
  return outs;
}

bool FusedExecutorSupports(std::string_view op) {
  return std::find(std::begin(kExecutorOps), std::end(kExecutorOps), op) != std::end(kExecutorOps);
}

bool FusedExecutorSupportsDType(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kBool;
}

void RegisterFusedOps(OpRegistry& r) {
  r.Register(FusedElementwise());
  r.Register(FusedReduction());
  RegisterFusedEpilogueOps(r);
}

}  // namespace bronze
