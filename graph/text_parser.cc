// Text form: the parser (grammar in text.h). A small hand-written lexer and recursive descent;
// attribute values are read with the type the op's schema declares, so `[]` is unambiguous.
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "graph/error.h"
#include "graph/text.h"

namespace bronze {
namespace {

enum class Tok { kEnd, kIdent, kNumber, kString, kValue, kPunct };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier, number text, unescaped string, value name, punctuation
  int line = 1, col = 1;
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Token Next() {
    SkipSpace();
    Token t;
    t.line = line_;
    t.col = col_;
    if (pos_ >= s_.size()) return t;
    char c = s_[pos_];
    if (c == '"') {
      t.kind = Tok::kString;
      t.text = ReadString(t);
    } else if (c == '%') {
      Advance();
      t.kind = Tok::kValue;
      if (pos_ < s_.size() && s_[pos_] == '"') {
        t.text = ReadString(t);
      } else {
        while (pos_ < s_.size() && IsNameChar(s_[pos_])) t.text += Advance();
      }
      if (t.text.empty()) Fail(t, "expected a value name after '%'");
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               ((c == '-' || c == '+') && pos_ + 1 < s_.size() &&
                (std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])) ||
                 s_.compare(pos_ + 1, 3, "inf") == 0 || s_.compare(pos_ + 1, 3, "nan") == 0))) {
      t.kind = Tok::kNumber;
      t.text += Advance();
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
                                  ((s_[pos_] == '-' || s_[pos_] == '+') &&
                                   (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E')))) {
        t.text += Advance();
      }
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      t.kind = Tok::kIdent;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
        t.text += Advance();
      }
    } else {
      t.kind = Tok::kPunct;
      t.text = std::string(1, Advance());
    }
    return t;
  }

  [[noreturn]] static void Fail(const Token& at, const std::string& msg) {
    throw ParseError("line " + std::to_string(at.line) + ", column " + std::to_string(at.col) + ": " + msg);
  }

 private:
  static bool IsNameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == '-';
  }

  char Advance() {
    char c = s_[pos_++];
    if (c == '\n') { ++line_; col_ = 1; } else { ++col_; }
    return c;
  }

  void SkipSpace() {
    while (pos_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[pos_]))) {
        Advance();
      } else if (s_[pos_] == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '/') {
        while (pos_ < s_.size() && s_[pos_] != '\n') Advance();  // // comments
      } else {
        break;
      }
    }
  }

  std::string ReadString(const Token& at) {
    Advance();  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) Fail(at, "unterminated string");
      char c = Advance();
      if (c == '"') break;
      if (c != '\\') { out += c; continue; }
      if (pos_ >= s_.size()) Fail(at, "unterminated string");
      char e = Advance();
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'x': {
          if (pos_ + 2 > s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[pos_])) ||
              !std::isxdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
            Fail(at, "bad \\x escape (expected two hex digits)");
          }
          std::string hex{Advance(), Advance()};
          out += static_cast<char>(std::stoi(hex, nullptr, 16));
          break;
        }
        default: Fail(at, std::string("unknown escape \\") + e);
      }
    }
    return out;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
};

class Parser {
 public:
  Parser(std::string_view text, const OpRegistry& registry) : lex_(text), registry_(registry) {
    tok_ = lex_.Next();
  }

  Graph ParseGraphText() {
    ExpectIdent("graph");
    Graph g(Expect(Tok::kString, "a graph name string").text);
    ExpectPunct("{");
    while (!IsPunct("}")) {
      if (tok_.kind == Tok::kIdent && tok_.text == "return") {
        Take();
        ParseReturn(g);
        break;
      }
      ParseNode(g);
    }
    ExpectPunct("}");
    if (tok_.kind != Tok::kEnd) Lexer::Fail(tok_, "unexpected text after the graph");
    return g;
  }

 private:
  Token Take() {
    Token t = tok_;
    tok_ = lex_.Next();
    return t;
  }
  bool IsPunct(const char* p) const { return tok_.kind == Tok::kPunct && tok_.text == p; }
  bool AcceptPunct(const char* p) {
    if (!IsPunct(p)) return false;
    Take();
    return true;
  }
  void ExpectPunct(const char* p) {
    if (!AcceptPunct(p)) Lexer::Fail(tok_, std::string("expected '") + p + "', found " + Describe(tok_));
  }
  void ExpectIdent(const char* word) {
    if (tok_.kind != Tok::kIdent || tok_.text != word) {
      Lexer::Fail(tok_, std::string("expected '") + word + "', found " + Describe(tok_));
    }
    Take();
  }
  Token Expect(Tok kind, const char* what) {
    if (tok_.kind != kind) Lexer::Fail(tok_, std::string("expected ") + what + ", found " + Describe(tok_));
    return Take();
  }
  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd: return "the end of the text";
      case Tok::kString: return "a string";
      case Tok::kValue: return "%" + t.text;
      default: return "'" + t.text + "'";
    }
  }

  Value ParseValueRef(const Graph& g) {
    Token t = Expect(Tok::kValue, "a value (%name)");
    auto it = names_.find(t.text);
    if (it == names_.end()) Lexer::Fail(t, "value %" + t.text + " is used before it is defined");
    int64_t index = 0;
    if (AcceptPunct("#")) index = ParseInt();
    if (index < 0 || static_cast<uint64_t>(index) >= g.node(it->second).outputs.size()) {
      Lexer::Fail(t, "%" + t.text + " has no output " + std::to_string(index));
    }
    return Value{it->second, static_cast<int32_t>(index)};
  }

  int64_t ParseInt() {
    Token t = Expect(Tok::kNumber, "an integer");
    int64_t v = 0;
    auto res = std::from_chars(t.text.data() + (t.text[0] == '+'), t.text.data() + t.text.size(), v);
    if (res.ec != std::errc() || res.ptr != t.text.data() + t.text.size()) {
      Lexer::Fail(t, "'" + t.text + "' is not an integer");
    }
    return v;
  }

  // An integer in [lo, hi]; `what` names the range in the error.
  int64_t ParseIntIn(int64_t lo, int64_t hi, const char* what) {
    Token t = tok_;
    int64_t v = ParseInt();
    if (v < lo || v > hi) Lexer::Fail(t, "'" + t.text + "' is out of range for " + what);
    return v;
  }

  // Parses straight into T (float or double): going through double and then rounding to float
  // would round twice and change some f32 values.
  template <typename T = double>
  T ParseFloat() {
    Token t = tok_;
    std::string s;
    if (tok_.kind == Tok::kIdent && (tok_.text == "inf" || tok_.text == "nan")) {
      s = Take().text;
    } else {
      s = Expect(Tok::kNumber, "a number").text;
    }
    bool neg = !s.empty() && s[0] == '-';
    std::string body = (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
    T v = 0;
    if (body == "inf") {
      v = std::numeric_limits<T>::infinity();
    } else if (body == "nan") {
      v = std::numeric_limits<T>::quiet_NaN();  // "-nan" keeps its sign bit below
    } else {
      auto res = std::from_chars(body.data(), body.data() + body.size(), v);
      if (res.ec != std::errc() || res.ptr != body.data() + body.size()) Lexer::Fail(t, "'" + s + "' is not a number");
    }
    return neg ? -v : v;
  }

  Dim ParseDim() {
    std::string text;
    Token start = tok_;
    while (true) {
      if (tok_.kind == Tok::kNumber || tok_.kind == Tok::kIdent) {
        text += Take().text;
      } else {
        Lexer::Fail(tok_, "expected a dim, found " + Describe(tok_));
      }
      if (!AcceptPunct("*")) break;
      text += "*";
    }
    try {
      return Dim::Parse(text);
    } catch (const Error& e) {
      Lexer::Fail(start, e.message());
    }
  }

  Shape ParseDimList(const char* open, const char* close) {
    ExpectPunct(open);
    std::vector<Dim> dims;
    while (!IsPunct(close)) {
      dims.push_back(ParseDim());
      if (!AcceptPunct(",")) break;
    }
    ExpectPunct(close);
    return Shape(std::move(dims));
  }

  Attribute ParseAttrValue(AttrType type) {
    switch (type) {
      case AttrType::kInt: return ParseInt();
      case AttrType::kFloat: return ParseFloat();
      case AttrType::kString: return Expect(Tok::kString, "a string").text;
      case AttrType::kDType: {
        Token t = Expect(Tok::kIdent, "a dtype");
        try {
          return ParseDType(t.text);
        } catch (const Error& e) {
          Lexer::Fail(t, e.message());
        }
      }
      case AttrType::kInts: {
        std::vector<int64_t> v;
        ExpectPunct("[");
        while (!IsPunct("]")) {
          v.push_back(ParseInt());
          if (!AcceptPunct(",")) break;
        }
        ExpectPunct("]");
        return v;
      }
      case AttrType::kFloats: {
        std::vector<double> v;
        ExpectPunct("[");
        while (!IsPunct("]")) {
          v.push_back(ParseFloat());
          if (!AcceptPunct(",")) break;
        }
        ExpectPunct("]");
        return v;
      }
      case AttrType::kShape: return ParseDimList("(", ")");
    }
    ThrowInternal("bad attribute type");
  }

  TensorType ParseType() {
    Token t = Expect(Tok::kIdent, "a type such as f32[N, 3]");
    TensorType type;
    try {
      type.dtype = ParseDType(t.text);
    } catch (const Error& e) {
      Lexer::Fail(t, e.message());
    }
    type.shape = ParseDimList("[", "]");
    return type;
  }

  Tensor ParseData(const Node& n, const Token& at) {
    if (tok_.kind == Tok::kIdent && tok_.text == "elided") {
      Take();
      return Tensor();
    }
    if (!n.op->is_source) Lexer::Fail(at, "only source nodes carry data");
    DType dtype = n.attrs.at("dtype").dtype();
    Dims dims;
    try {
      dims = n.attrs.at("shape").shape().static_dims();
    } catch (const Error& e) {
      Lexer::Fail(at, e.message());
    }
    bool bits = false;
    if (tok_.kind == Tok::kIdent && tok_.text == "bits") {
      Take();
      bits = true;
    }
    if (bits != (dtype == DType::kF16 || dtype == DType::kBF16)) {
      Lexer::Fail(at, "'data bits' is for f16 and bf16 values only");
    }
    Tensor t = Tensor::Empty(dtype, dims);
    char* p = static_cast<char*>(t.raw_data());
    ExpectPunct("[");
    int64_t i = 0;
    while (!IsPunct("]")) {
      if (i >= t.numel()) Lexer::Fail(tok_, "more data values than the shape holds");
      switch (dtype) {
        case DType::kF32: { float v = ParseFloat<float>(); std::memcpy(p + 4 * i, &v, 4); break; }
        case DType::kF64: { double v = ParseFloat<double>(); std::memcpy(p + 8 * i, &v, 8); break; }
        case DType::kF16:
        case DType::kBF16: {
          uint16_t v = static_cast<uint16_t>(ParseIntIn(0, 65535, "16-bit float bits"));
          std::memcpy(p + 2 * i, &v, 2);
          break;
        }
        case DType::kI32: {
          int32_t v = static_cast<int32_t>(ParseIntIn(std::numeric_limits<int32_t>::min(),
                                                      std::numeric_limits<int32_t>::max(), "i32"));
          std::memcpy(p + 4 * i, &v, 4);
          break;
        }
        case DType::kI64: { int64_t v = ParseInt(); std::memcpy(p + 8 * i, &v, 8); break; }
        case DType::kU8: p[i] = static_cast<char>(ParseIntIn(0, 255, "u8")); break;
        case DType::kBool: p[i] = static_cast<char>(ParseIntIn(0, 1, "bool (0 or 1)")); break;
      }
      ++i;
      if (!AcceptPunct(",")) break;
    }
    ExpectPunct("]");
    if (i != t.numel()) {
      Lexer::Fail(at, std::to_string(i) + " data values for shape " + DimsToString(dims) + " of " +
                          std::to_string(t.numel()) + " elements");
    }
    return t;
  }

  void ParseNode(Graph& g) {
    Token name_tok = Expect(Tok::kValue, "a node definition (%name = op(...))");
    if (names_.count(name_tok.text)) Lexer::Fail(name_tok, "%" + name_tok.text + " is defined twice");
    ExpectPunct("=");
    Token op_tok = Expect(Tok::kIdent, "an op name");
    const OpSchema* op = registry_.Find(op_tok.text);
    if (!op) {
      try {
        registry_.Get(op_tok.text);
      } catch (const Error& e) {
        Lexer::Fail(op_tok, e.message());
      }
    }
    ExpectPunct("(");
    std::vector<Value> inputs;
    while (!IsPunct(")")) {
      inputs.push_back(ParseValueRef(g));
      if (!AcceptPunct(",")) break;
    }
    ExpectPunct(")");
    AttrMap attrs;
    if (AcceptPunct("{")) {
      while (!IsPunct("}")) {
        Token key = Expect(Tok::kIdent, "an attribute name");
        const AttrSpec* spec = op->FindAttr(key.text);
        if (!spec) Lexer::Fail(key, "op " + op->name + " has no attribute '" + key.text + "'");
        if (attrs.count(key.text)) Lexer::Fail(key, "attribute '" + key.text + "' given twice");
        ExpectPunct("=");
        attrs[key.text] = ParseAttrValue(spec->type);
        if (!AcceptPunct(",")) break;
      }
      ExpectPunct("}");
    }
    ExpectPunct(":");
    std::vector<TensorType> outputs;
    if (AcceptPunct("(")) {
      ExpectPunct(")");
    } else {
      outputs.push_back(ParseType());
      while (AcceptPunct(",")) outputs.push_back(ParseType());
    }
    NodeId id = g.AddNode(op, std::move(inputs), std::move(attrs), std::move(outputs), name_tok.text);
    names_[name_tok.text] = id;
    if (tok_.kind == Tok::kIdent && tok_.text == "data") {
      Token at = Take();
      if (!op->is_source) Lexer::Fail(at, "only source nodes carry data");
      if (!g.node(id).attrs.count("dtype") || !g.node(id).attrs.count("shape")) {
        Lexer::Fail(at, "data needs the node's dtype and shape attributes first");
      }
      g.node(id).data = ParseData(g.node(id), at);
    }
    if (AcceptPunct("@")) g.node(id).location = Expect(Tok::kString, "a location string").text;
  }

  void ParseReturn(Graph& g) {
    while (!IsPunct("}")) {
      Token name = tok_;
      if (tok_.kind != Tok::kIdent && tok_.kind != Tok::kString) {
        Lexer::Fail(tok_, "expected an output name, found " + Describe(tok_));
      }
      Take();
      ExpectPunct("=");
      Value v = ParseValueRef(g);
      try {
        g.AddOutput(name.text, v);
      } catch (const Error& e) {
        Lexer::Fail(name, e.message());
      }
      if (!AcceptPunct(",")) break;
    }
  }

  Lexer lex_;
  const OpRegistry& registry_;
  Token tok_;
  std::unordered_map<std::string, NodeId> names_;
};

}  // namespace

Graph ParseGraph(std::string_view text, const OpRegistry& registry) {
  return Parser(text, registry).ParseGraphText();
}

}  // namespace bronze
