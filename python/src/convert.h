// Conversions between Python objects and bronze values, shared by the binding files: NumPy
// arrays <-> Tensor (without copies where dtype and layout allow), Python shapes (ints, None for
// the batch dim, "N" / "N*T" symbols) <-> Shape, Python attribute values <-> Attribute (typed by
// the op's schema), and the translation of bronze::Error into the bronze.errors exceptions.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "graph/attribute.h"
#include "graph/op_registry.h"
#include "graph/shape.h"
#include "graph/tensor.h"

namespace bronze::python {

namespace py = pybind11;

// "float32", "int64", ... (NumPy's names) <-> DType.
DType DTypeFromPython(const py::handle& dtype);
std::string NumpyDTypeName(DType dtype);

// A CPU tensor viewing the array's memory when it is C-contiguous, aligned and of a supported
// dtype (the tensor keeps the array alive); otherwise a contiguous copy. `name` is for errors.
Tensor TensorFromArray(const py::handle& object, const std::string& name);
// A NumPy array sharing the tensor's storage (the array keeps it alive); device tensors are
// copied to the host first.
py::array ArrayFromTensor(const Tensor& tensor);

// (None | int | "N" | "N*T", ...) -> Shape; None is the batch symbol "N".
Shape ShapeFromPython(const py::handle& shape);
// Shape -> tuple of ints and symbol strings.
py::tuple ShapeToPython(const Shape& shape);

// Converts a Python value to an attribute of `op`'s declared type for `name` (int -> float where a
// float is declared, a dtype name -> DType, a shape tuple -> Shape, ...). Unknown names convert by
// the value's own type, so the op's checks name them.
Attribute AttributeFromPython(const OpSchema& op, const std::string& name, const py::handle& v);
AttrMap AttributesFromPython(const OpSchema& op, const py::dict& attrs);
py::object AttributeToPython(const Attribute& attr);

// Registers the translator from bronze::Error (and subclasses) to bronze.errors.*.
void RegisterErrorTranslator();

}  // namespace bronze::python
