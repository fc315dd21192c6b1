"""bronze: a graph-compiled model framework.

    import bronze as bz
    from bronze import layers as L

    x = L.Placeholder((None, 1, 28, 28))
    y = L.Linear(10)(L.ReLU()(L.Linear(128)(L.Flatten()(x))))
    model = bz.Model(inputs=x, outputs=y)
    model.compile(optimizer=bz.optim.Adam(lr=1e-3), loss="cross_entropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=3)

The model is a static graph compiled and run by bronze's C++ core (bronze._bronze).
"""

from . import _bronze
from .errors import (AttributeValueError, BronzeError, DTypeError, FormatError, GraphError,
                     InternalError, InvalidArgumentError, NotFoundError, ParseError, ShapeError,
                     UnimplementedError)
from ._tensor import SymbolicTensor
from . import ops
from . import layers
from .layers.base import seed
from .model import Model
from . import callbacks, datasets, losses, metrics, optim, utils
from .grad import value_and_grad
from .io import LoadedModel, load

__version__ = _bronze.__version__

__all__ = [
    "Model", "LoadedModel", "load", "SymbolicTensor", "value_and_grad", "optim", "losses", "metrics", "callbacks",
    "datasets", "utils", "ops", "layers", "seed", "BronzeError", "ShapeError", "DTypeError",
    "AttributeValueError", "GraphError", "InternalError", "InvalidArgumentError", "NotFoundError",
    "ParseError", "UnimplementedError", "FormatError",
]
