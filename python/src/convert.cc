// Python <-> bronze value conversions (convert.h).
#include "convert.h"

#include <cstring>

#include "graph/error.h"
#include "serialization/model_file.h"

namespace bronze::python {

DType DTypeFromPython(const py::handle& dtype) {
  if (py::isinstance<py::str>(dtype)) return ParseDType(dtype.cast<std::string>());
  // numpy dtypes and scalar types (np.float32) both have a name through np.dtype(x).name.
  py::object np_dtype = py::module_::import("numpy").attr("dtype")(dtype);
  return ParseDType(np_dtype.attr("name").cast<std::string>());
}

std::string NumpyDTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "float32";
    case DType::kF64: return "float64";
    case DType::kF16: return "float16";
    case DType::kBF16: return "bfloat16";
    case DType::kI32: return "int32";
    case DType::kI64: return "int64";
    case DType::kU8: return "uint8";
    case DType::kBool: return "bool";
  }
  return "unknown";
}

namespace {

// The NumPy dtype of a bronze dtype (bf16 has none: such tensors are returned as uint16 bits).
py::dtype NumpyDType(DType dtype) {
  if (dtype == DType::kBF16) return py::dtype("uint16");
  return py::dtype(NumpyDTypeName(dtype));
}

}  // namespace

Tensor TensorFromArray(const py::handle& object, const std::string& name) {
  py::array array = py::array::ensure(object);
  if (!array) {
    throw InvalidArgumentError(name + ": expected a NumPy array (or something np.asarray accepts), got " +
                               py::str(py::type::of(object)).cast<std::string>());
  }
  std::string kind = py::str(array.dtype().attr("name")).cast<std::string>();
  DType dtype;
  try {
    dtype = ParseDType(kind);
  } catch (const Error&) {
    throw TypeError(name + ": arrays of dtype " + kind +
                    " are not supported (float32, float64, float16, int32, int64, uint8, bool)");
  }
  // Non-native byte order, non-contiguous or misaligned arrays are copied into a fresh
  // C-contiguous native array first.
  bool native = array.dtype().attr("isnative").cast<bool>();
  if (!native || !(array.flags() & py::array::c_style) ||
      (reinterpret_cast<uintptr_t>(array.data()) % DTypeSize(dtype)) != 0) {
    array = py::array(py::module_::import("numpy").attr("ascontiguousarray")(
        array, py::arg("dtype") = py::str(kind)));
  }
  Dims dims(array.shape(), array.shape() + array.ndim());
  // Not array.nbytes(): Debian's pybind11 2.10 reads the item size from NumPy 1's descriptor
  // layout, which NumPy 2 changed.
  size_t bytes = static_cast<size_t>(array.size()) * DTypeSize(dtype);
  // The storage holds a reference to the array; dropping it needs the GIL (a run may end on a
  // thread without it).
  auto* keep = new py::object(array);
  auto storage = std::make_shared<Storage>(
      const_cast<void*>(array.data()), bytes, Device::CPU(), [keep](void*) {
        py::gil_scoped_acquire gil;
        delete keep;
      });
  return Tensor::OnStorage(std::move(storage), 0, dtype, std::move(dims));
}

py::array ArrayFromTensor(const Tensor& tensor) {
  Tensor host = tensor.device().kind == DeviceKind::kCPU ? tensor : tensor.To(Device::CPU());
  std::vector<py::ssize_t> shape(host.dims().begin(), host.dims().end());
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t stride = static_cast<py::ssize_t>(DTypeSize(host.dtype()));
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  auto* keep = new Tensor(host);
  py::capsule owner(keep, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(NumpyDType(host.dtype()), shape, strides, host.raw_data(), owner);
}

namespace {

// Python ints, NumPy integers and anything with __index__; a float raises TypeError.
int64_t AsInt(const py::handle& v) {
  return py::module_::import("operator").attr("index")(v).cast<int64_t>();
}
double AsFloat(const py::handle& v) {
  return py::float_(py::reinterpret_borrow<py::object>(v)).cast<double>();
}

}  // namespace

Shape ShapeFromPython(const py::handle& shape) {
  if (py::isinstance<py::int_>(shape)) return Shape{Dim(shape.cast<int64_t>())};
  std::vector<Dim> dims;
  for (py::handle d : shape) {
    if (d.is_none()) {
      dims.push_back(Dim::Symbol("N"));
    } else if (py::isinstance<py::str>(d)) {
      dims.push_back(Dim::Parse(d.cast<std::string>()));
    } else {
      dims.push_back(Dim(AsInt(d)));
    }
  }
  return Shape(std::move(dims));
}

py::tuple ShapeToPython(const Shape& shape) {
  py::tuple t(static_cast<size_t>(shape.rank()));
  for (int64_t i = 0; i < shape.rank(); ++i) {
    const Dim& d = shape[i];
    t[static_cast<size_t>(i)] = d.is_static() ? py::object(py::int_(d.value()))
                                              : py::object(py::str(d.ToString()));
  }
  return t;
}

namespace {

Attribute ByValueType(const py::handle& v) {
  if (py::isinstance<py::bool_>(v)) return Attribute(static_cast<int64_t>(v.cast<bool>()));
  if (py::isinstance<py::int_>(v)) return Attribute(v.cast<int64_t>());
  if (py::isinstance<py::float_>(v)) return Attribute(v.cast<double>());
  if (py::isinstance<py::str>(v)) return Attribute(v.cast<std::string>());
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    bool all_int = true;
    for (py::handle e : v) all_int &= py::isinstance<py::int_>(e);
    if (all_int) return Attribute(v.cast<std::vector<int64_t>>());
    return Attribute(v.cast<std::vector<double>>());
  }
  throw AttributeError("cannot convert a Python " +
                       py::str(py::type::of(v)).cast<std::string>() + " to an attribute");
}

}  // namespace

Attribute AttributeFromPython(const OpSchema& op, const std::string& name, const py::handle& v) {
  const AttrSpec* spec = op.FindAttr(name);
  if (!spec) return ByValueType(v);
  try {
    switch (spec->type) {
      case AttrType::kInt:
        if (py::isinstance<py::float_>(v) || py::isinstance<py::str>(v)) break;
        return Attribute(AsInt(v));
      case AttrType::kFloat:
        if (py::isinstance<py::str>(v)) break;
        return Attribute(AsFloat(v));
      case AttrType::kString:
        return Attribute(v.cast<std::string>());
      case AttrType::kDType:
        return Attribute(DTypeFromPython(v));
      case AttrType::kInts:
        if (py::isinstance<py::int_>(v)) return Attribute(std::vector<int64_t>{v.cast<int64_t>()});
        return Attribute(v.cast<std::vector<int64_t>>());
      case AttrType::kFloats:
        if (py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v)) {
          return Attribute(std::vector<double>{AsFloat(v)});
        }
        return Attribute(v.cast<std::vector<double>>());
      case AttrType::kShape:
        return Attribute(ShapeFromPython(v));
    }
  } catch (const py::cast_error&) {
  } catch (const py::error_already_set&) {
  }
  throw AttributeError("op '" + op.name + "': attribute '" + name + "' must be " +
                       std::string(AttrTypeName(spec->type)) + ", got " +
                       py::repr(v).cast<std::string>());
}

AttrMap AttributesFromPython(const OpSchema& op, const py::dict& attrs) {
  AttrMap out;
  for (auto [k, v] : attrs) {
    if (v.is_none()) continue;  // None: leave the default
    std::string name = k.cast<std::string>();
    out[name] = AttributeFromPython(op, name, v);
  }
  return out;
}

py::object AttributeToPython(const Attribute& attr) {
  return std::visit(
      [](const auto& v) -> py::object {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, DType>) {
          return py::str(NumpyDTypeName(v));
        } else if constexpr (std::is_same_v<T, Shape>) {
          return ShapeToPython(v);
        } else {
          return py::cast(v);
        }
      },
      attr.variant());
}

namespace {

const char* ExceptionName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal: return "InternalError";
    case ErrorCode::kInvalidArgument: return "InvalidArgumentError";
    case ErrorCode::kShape: return "ShapeError";
    case ErrorCode::kType: return "DTypeError";
    case ErrorCode::kAttribute: return "AttributeValueError";
    case ErrorCode::kGraph: return "GraphError";
    case ErrorCode::kParse: return "ParseError";
    case ErrorCode::kNotFound: return "NotFoundError";
    case ErrorCode::kUnimplemented: return "UnimplementedError";
    case ErrorCode::kIo: return "IOError";
    case ErrorCode::kFormat: return "FormatError";
  }
  return "BronzeError";
}

}  // namespace

void RegisterErrorTranslator() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      py::module_ errors = py::module_::import("bronze.errors");
      py::object cls = errors.attr(ExceptionName(e.code()));
      py::object exc = cls(e.what());
      exc.attr("code") = static_cast<int>(e.code());
      exc.attr("code_name") = std::string(ErrorCodeName(e.code()));
      exc.attr("location") = e.location();
      if (const auto* fe = dynamic_cast<const ModelFormatError*>(&e)) {
        exc.attr("load_code") = static_cast<int>(fe->load_code());
        exc.attr("load_code_name") = std::string(LoadErrorCodeName(fe->load_code()));
        exc.attr("field_path") = fe->field_path();
      }
      PyErr_SetObject(cls.ptr(), exc.ptr());
    }
  });
}

}  // namespace bronze::python
