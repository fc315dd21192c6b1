"""Convolution and pooling layers (torch.nn.Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d,
AdaptiveAvgPool2d): PyTorch's arguments and weight layouts, the input channel count inferred
from the first call (input (N, C, H, W), or unbatched (C, H, W))."""

from __future__ import annotations

from .. import ops
from ._init import check_dim, check_rank, fan_in_bound, pair, static_dim, uniform
from .base import Layer

_NCHW = "(N, C, H, W) or (C, H, W)"


def _padding_attrs(padding) -> dict:
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
        return {"auto_pad": padding}
    return {"padding": list(pair(padding, "padding"))}


class Conv2d(Layer):
    """2-D convolution (torch.nn.Conv2d without in_channels, which is inferred): weight
    (out_channels, in_channels/groups, kH, kW), bias (out_channels,). Initialized as PyTorch:
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels/groups * kH * kW."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 in_channels: int | None = None, name: str | None = None):
        super().__init__(name=name)
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: padding_mode {padding_mode!r} is not supported "
                             "(only 'zeros')")
        self.out_channels = int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.dilation = pair(dilation, "dilation")
        self.padding_attrs = _padding_attrs(padding)
        self.groups = int(groups)
        self.use_bias = bool(bias)
        if self.groups < 1 or self.out_channels % self.groups:
            raise ValueError(f"Conv2d: groups={groups} must divide out_channels={out_channels}")
        if in_channels is not None:
            self._create(int(in_channels))

    def _create(self, in_channels: int) -> None:
        if in_channels % self.groups:
            raise ValueError(f"{self.name}: groups={self.groups} must divide the input's "
                             f"{in_channels} channels")
        kh, kw = self.kernel_size
        fan_in = in_channels // self.groups * kh * kw
        bound = fan_in_bound(fan_in)
        self.in_channels = in_channels
        self.add_weight("weight", uniform((self.out_channels, in_channels // self.groups, kh, kw),
                                          bound))
        if self.use_bias:
            self.add_weight("bias", uniform((self.out_channels,), bound))
        self.built = True

    def build(self, x) -> None:
        check_rank(self, x, (3, 4), _NCHW)
        if "weight" not in self._weights:
            self._create(static_dim(self, x, -3, "channel"))

    def call(self, x):
        check_rank(self, x, (3, 4), _NCHW)
        check_dim(self, x, -3, self.in_channels, f"(N, {self.in_channels}, H, W)")
        args = [x, self.weight_tensor("weight")]
        if self.use_bias:
            args.append(self.weight_tensor("bias"))
        return ops.conv2d(*args, stride=list(self.stride), dilation=list(self.dilation),
                          groups=self.groups, name="conv2d", **self.padding_attrs)


class ConvTranspose2d(Layer):
    """2-D transposed convolution (torch.nn.ConvTranspose2d without in_channels): weight
    (in_channels, out_channels/groups, kH, kW), bias (out_channels,). Initialized as PyTorch:
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = out_channels/groups * kH * kW (PyTorch
    computes it from the weight's dim 1)."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, in_channels: int | None = None,
                 name: str | None = None):
        super().__init__(name=name)
        self.out_channels = int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding")
        self.output_padding = pair(output_padding, "output_padding")
        self.dilation = pair(dilation, "dilation")
        self.groups = int(groups)
        self.use_bias = bool(bias)
        if self.groups < 1 or self.out_channels % self.groups:
            raise ValueError(f"ConvTranspose2d: groups={groups} must divide "
                             f"out_channels={out_channels}")
        if in_channels is not None:
            self._create(int(in_channels))

    def _create(self, in_channels: int) -> None:
        if in_channels % self.groups:
            raise ValueError(f"{self.name}: groups={self.groups} must divide the input's "
                             f"{in_channels} channels")
        kh, kw = self.kernel_size
        bound = fan_in_bound(self.out_channels // self.groups * kh * kw)
        self.in_channels = in_channels
        self.add_weight("weight", uniform((in_channels, self.out_channels // self.groups, kh, kw),
                                          bound))
        if self.use_bias:
            self.add_weight("bias", uniform((self.out_channels,), bound))
        self.built = True

    def build(self, x) -> None:
        check_rank(self, x, (3, 4), _NCHW)
        if "weight" not in self._weights:
            self._create(static_dim(self, x, -3, "channel"))

    def call(self, x):
        check_rank(self, x, (3, 4), _NCHW)
        check_dim(self, x, -3, self.in_channels, f"(N, {self.in_channels}, H, W)")
        args = [x, self.weight_tensor("weight")]
        if self.use_bias:
            args.append(self.weight_tensor("bias"))
        return ops.conv_transpose2d(*args, stride=list(self.stride), padding=list(self.padding),
                                    output_padding=list(self.output_padding),
                                    dilation=list(self.dilation), groups=self.groups,
                                    name="conv_transpose2d")


class MaxPool2d(Layer):
    """2-D max pooling (torch.nn.MaxPool2d without return_indices); stride defaults to
    kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                 name: str | None = None):
        super().__init__(name=name)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, "stride")
        self.padding = pair(padding, "padding")
        self.dilation = pair(dilation, "dilation")
        self.ceil_mode = bool(ceil_mode)

    def call(self, x):
        check_rank(self, x, (3, 4), _NCHW)
        return ops.max_pool2d(x, kernel_size=list(self.kernel_size), stride=list(self.stride),
                              padding=list(self.padding), dilation=list(self.dilation),
                              ceil_mode=int(self.ceil_mode), name="max_pool2d")


class AvgPool2d(Layer):
    """2-D average pooling (torch.nn.AvgPool2d without divisor_override); stride defaults to
    kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, name: str | None = None):
        super().__init__(name=name)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, "stride")
        self.padding = pair(padding, "padding")
        self.ceil_mode = bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)

    def call(self, x):
        check_rank(self, x, (3, 4), _NCHW)
        return ops.avg_pool2d(x, kernel_size=list(self.kernel_size), stride=list(self.stride),
                              padding=list(self.padding), ceil_mode=int(self.ceil_mode),
                              count_include_pad=int(self.count_include_pad), name="avg_pool2d")


class AdaptiveAvgPool2d(Layer):
    """Adaptive average pooling to ``output_size`` (torch.nn.AdaptiveAvgPool2d; None entries
    are not supported)."""

    def __init__(self, output_size, name: str | None = None):
        super().__init__(name=name)
        self.output_size = pair(output_size, "output_size")

    def call(self, x):
        check_rank(self, x, (3, 4), _NCHW)
        return ops.adaptive_avg_pool2d(x, output_size=list(self.output_size),
                                       name="adaptive_avg_pool2d")
