"""Optimizers for ``model.compile(optimizer=...)`` with torch.optim's argument names and defaults:
SGD, Adam, AdamW, RMSprop, Adagrad. They hold hyperparameters only: ``to_dict()`` gives the dict
the C++ Trainer (``_bronze.Trainer``) takes, and the update itself runs inside the compiled
training step (passes/training.h, graph/optimizer.h). A name ("adam", "sgd", ...) is accepted
wherever an optimizer is (``get``), with the defaults.
"""

from __future__ import annotations


def _check(cond: bool, what: str, value) -> None:
    if not cond:
        raise ValueError(f"Invalid {what}: {value}")


class Optimizer:
    """Base: ``kind`` (the C++ optimizer name), ``lr`` and the other hyperparameters."""

    kind = ""

    def __init__(self, lr: float, **hyper) -> None:
        _check(lr >= 0.0, "learning rate", lr)
        self.lr = float(lr)
        self.hyper = hyper

    def to_dict(self) -> dict:
        """The optimizer dict of ``_bronze.Trainer``."""
        return {"kind": self.kind, "lr": self.lr, **self.hyper}

    def get_config(self) -> dict:
        return {"lr": self.lr, **self.hyper}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """torch.optim.SGD(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)."""

    kind = "sgd"

    def __init__(self, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        _check(momentum >= 0.0, "momentum value", momentum)
        _check(weight_decay >= 0.0, "weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(lr, momentum=float(momentum), dampening=float(dampening),
                         weight_decay=float(weight_decay), nesterov=bool(nesterov))


def _check_betas(betas, eps) -> tuple[float, float]:
    b1, b2 = (float(b) for b in betas)
    _check(0.0 <= b1 < 1.0, "beta parameter at index 0", b1)
    _check(0.0 <= b2 < 1.0, "beta parameter at index 1", b2)
    _check(eps >= 0.0, "epsilon value", eps)
    return b1, b2


class Adam(Optimizer):
    """torch.optim.Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)."""

    kind = "adam"

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        betas = _check_betas(betas, eps)
        _check(weight_decay >= 0.0, "weight_decay value", weight_decay)
        super().__init__(lr, betas=betas, eps=float(eps), weight_decay=float(weight_decay),
                         amsgrad=bool(amsgrad))


class AdamW(Optimizer):
    """torch.optim.AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
    amsgrad=False): decoupled weight decay."""

    kind = "adamw"

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        betas = _check_betas(betas, eps)
        _check(weight_decay >= 0.0, "weight_decay value", weight_decay)
        super().__init__(lr, betas=betas, eps=float(eps), weight_decay=float(weight_decay),
                         amsgrad=bool(amsgrad))


class RMSprop(Optimizer):
    """torch.optim.RMSprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False)."""

    kind = "rmsprop"

    def __init__(self, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        _check(alpha >= 0.0, "alpha value", alpha)
        _check(eps >= 0.0, "epsilon value", eps)
        _check(momentum >= 0.0, "momentum value", momentum)
        _check(weight_decay >= 0.0, "weight_decay value", weight_decay)
        super().__init__(lr, alpha=float(alpha), eps=float(eps), weight_decay=float(weight_decay),
                         momentum=float(momentum), centered=bool(centered))


class Adagrad(Optimizer):
    """torch.optim.Adagrad(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10)."""

    kind = "adagrad"

    def __init__(self, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        _check(lr_decay >= 0.0, "lr_decay value", lr_decay)
        _check(weight_decay >= 0.0, "weight_decay value", weight_decay)
        _check(initial_accumulator_value >= 0.0, "initial_accumulator_value value",
               initial_accumulator_value)
        _check(eps >= 0.0, "epsilon value", eps)
        super().__init__(lr, lr_decay=float(lr_decay), weight_decay=float(weight_decay),
                         initial_accumulator_value=float(initial_accumulator_value),
                         eps=float(eps))


_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(optimizer) -> Optimizer:
    """An Optimizer for an instance or a name (with the defaults)."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in _BY_NAME:
        return _BY_NAME[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}: an instance of bz.optim.SGD, Adam, AdamW, "
                     f"RMSprop, Adagrad or one of the names {sorted(_BY_NAME)}")
