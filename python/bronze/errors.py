"""bronze's exceptions. Every error raised by the C++ core arrives as one of these (the mapping
is by the stable error code of bronze::Error); each carries ``code``, ``code_name`` and
``location`` (the user's file:line and layer path when known). They subclass the built-in
exception a Python user would expect, so ``except ValueError`` catches a ShapeError."""


class BronzeError(Exception):
    """Base class of every bronze error."""

    code = 0
    code_name = ""
    location = ""


class InternalError(BronzeError, RuntimeError):
    """A bug in bronze itself."""


class InvalidArgumentError(BronzeError, ValueError):
    """A bad argument to an API call."""


class ShapeError(BronzeError, ValueError):
    """Shapes that do not fit an op or a model's inputs."""


class DTypeError(BronzeError, TypeError):
    """Dtypes that do not fit."""


class AttributeValueError(BronzeError, ValueError):
    """A missing, unknown, mistyped or invalid op attribute."""


class GraphError(BronzeError, ValueError):
    """A structurally invalid graph."""


class ParseError(BronzeError, ValueError):
    """Text IR that does not parse."""


class NotFoundError(BronzeError, LookupError):
    """An unknown op, pass, input, output or parameter name."""


class UnimplementedError(BronzeError, NotImplementedError):
    """Valid, but not supported (yet) on this device or dtype."""


class IOError(BronzeError, OSError):  # noqa: A001 - bronze's I/O error, an OSError
    """A file could not be read or written."""


class FormatError(BronzeError, ValueError):
    """A model file that fails validation; ``load_code`` and ``field_path`` say where."""

    load_code = 0
    load_code_name = ""
    field_path = ""
