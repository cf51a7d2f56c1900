"""A small float interpreter for the feed-forward TFLite graphs we evaluate with.

It executes the operators of a tflite_reader.Model in file order (TFLite stores
them topologically sorted) with torch on CPU. Integer weights are dequantized
once (per-tensor or per-channel scales) and all arithmetic is float32, i.e. we
run the float model the quantized file describes, not TFLite's int8 kernels.

The leading dimension of 4-D activations may be a batch larger than the one the
file declares, so the body of a model can be run over many patches at once.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from flatbuffers import number_types as N

import tflite_reader

# ActivationFunctionType enum (schema.fbs).
_ACTIVATIONS = {0: lambda x: x, 1: torch.relu, 3: lambda x: torch.clamp(x, 0.0, 6.0)}


class UnsupportedGraph(ValueError):
    """The graph uses an operator or option this interpreter does not implement."""


def _activation(code: int):
    if code not in _ACTIVATIONS:
        raise UnsupportedGraph(f"fused activation {code} not supported")
    return _ACTIVATIONS[code]


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TFLite/TensorFlow SAME padding: extra padding goes after, not before."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _opt_byte(op, fid, default=0):
    return op.options.scalar(fid, N.Int8Flags, default) if op.options else default


def _opt_int(op, fid, default=0):
    return op.options.scalar(fid, N.Int32Flags, default) if op.options else default


class Graph:
    def __init__(self, model: tflite_reader.Model):
        self.model = model
        self._const: dict[int, torch.Tensor] = {}
        for t in model.tensors:
            if t.data is not None:
                if t.dtype in (np.int8, np.uint8, np.int16) or t.dtype == np.float32:
                    self._const[t.index] = torch.from_numpy(t.dequantized())
                else:
                    self._const[t.index] = torch.from_numpy(np.array(t.data))
        for op in model.operators:
            if not hasattr(self, "_op_" + op.opcode):
                raise UnsupportedGraph(f"operator {op.opcode} not supported")

    def tensor_index(self, name: str) -> int:
        return self.model.tensor_by_name(name).index

    def run(self, feeds: dict[int, torch.Tensor], wanted: list[int],
            start_op: int = 0) -> dict[int, torch.Tensor]:
        """Run operators from start_op on; feeds maps tensor index -> value."""
        values = dict(self._const)
        values.update(feeds)
        for op in self.model.operators[start_op:]:
            if any(i >= 0 and i not in values for i in op.inputs):
                continue  # belongs to a part of the graph we did not feed
            ins = [values[i] if i >= 0 else None for i in op.inputs]
            outs = getattr(self, "_op_" + op.opcode)(op, ins)
            for i, v in zip(op.outputs, outs):
                values[i] = v
            if all(w in values for w in wanted):
                break
        missing = [self.model.tensors[w].name for w in wanted if w not in values]
        if missing:
            raise UnsupportedGraph(f"tensors not computed: {missing}")
        return {w: values[w] for w in wanted}

    # --- operators -----------------------------------------------------------------
    def _op_RESHAPE(self, op, ins):
        x = ins[0]
        shape = [int(v) for v in (ins[1] if len(ins) > 1 and ins[1] is not None
                                  else self.model.tensors[op.outputs[0]].shape)]
        if x.dim() == 4 and len(shape) == 4 and x.shape[0] != shape[0]:
            shape[0] = x.shape[0]  # batched body: keep our batch dimension
        return [x.reshape(shape)]

    def _op_SLICE(self, op, ins):
        x, begin, size = ins
        idx = tuple(slice(int(b), None if int(s) < 0 else int(b) + int(s))
                    for b, s in zip(begin, size))
        return [x[idx]]

    def _op_STRIDED_SLICE(self, op, ins):
        x, begin, end, strides = ins
        begin_mask, end_mask = _opt_int(op, 0), _opt_int(op, 1)
        if any(_opt_int(op, f) for f in (2, 3, 4)):
            raise UnsupportedGraph("strided slice ellipsis/new-axis/shrink masks")
        idx = []
        for d in range(len(begin)):
            b = None if begin_mask >> d & 1 else int(begin[d])
            e = None if end_mask >> d & 1 else int(end[d])
            idx.append(slice(b, e, int(strides[d])))
        return [x[tuple(idx)]]

    def _op_GATHER(self, op, ins):
        x, indices = ins
        axis = _opt_int(op, 0)
        axis = axis + x.dim() if axis < 0 else axis
        flat = torch.index_select(x, axis, indices.reshape(-1).long())
        shape = list(x.shape[:axis]) + list(indices.shape) + list(x.shape[axis + 1:])
        return [flat.reshape(shape)]

    def _op_MUL(self, op, ins):
        return [_activation(_opt_byte(op, 0))(ins[0] * ins[1])]

    def _op_ADD(self, op, ins):
        return [_activation(_opt_byte(op, 0))(ins[0] + ins[1])]

    def _op_PAD(self, op, ins):
        x, pads = ins
        flat = []
        for d in reversed(range(x.dim())):
            flat += [int(pads[d][0]), int(pads[d][1])]
        return [F.pad(x, flat)]

    def _op_FULLY_CONNECTED(self, op, ins):
        x, w = ins[0], ins[1]
        bias = ins[2] if len(ins) > 2 else None
        if _opt_byte(op, 1):
            raise UnsupportedGraph("shuffled fully-connected weights")
        y = F.linear(x.reshape(-1, w.shape[1]), w, bias)
        return [_activation(_opt_byte(op, 0))(y)]

    def _op_SQRT(self, op, ins):
        return [torch.sqrt(ins[0])]

    def _op_LOG(self, op, ins):
        return [torch.log(ins[0])]

    def _op_LOGISTIC(self, op, ins):
        return [torch.sigmoid(ins[0])]

    def _op_DEQUANTIZE(self, op, ins):
        return [ins[0]]  # constants are already dequantized

    def _op_MEAN(self, op, ins):
        dims = [int(d) for d in ins[1].reshape(-1)]
        return [ins[0].mean(dim=dims, keepdim=bool(_opt_byte(op, 0)))]

    def _conv(self, op, x, w, bias, stride_h, stride_w, padding, groups, act):
        # NHWC activations, OHWI weights -> torch NCHW / OIHW.
        xn = x.permute(0, 3, 1, 2)
        kh, kw = w.shape[1], w.shape[2]
        if padding == 0:  # SAME
            ph, pw = _same_padding(xn.shape[2], kh, stride_h), _same_padding(xn.shape[3], kw, stride_w)
            xn = F.pad(xn, [pw[0], pw[1], ph[0], ph[1]])
        y = F.conv2d(xn, w.permute(0, 3, 1, 2), bias, (stride_h, stride_w), groups=groups)
        return _activation(act)(y.permute(0, 2, 3, 1))

    def _op_CONV_2D(self, op, ins):
        if _opt_int(op, 4, 1) != 1 or _opt_int(op, 5, 1) != 1:
            raise UnsupportedGraph("dilated convolution")
        return [self._conv(op, ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                           _opt_int(op, 2, 1), _opt_int(op, 1, 1), _opt_byte(op, 0),
                           1, _opt_byte(op, 3))]

    def _op_DEPTHWISE_CONV_2D(self, op, ins):
        if _opt_int(op, 3, 1) != 1:
            raise UnsupportedGraph("depth multiplier != 1")
        if _opt_int(op, 5, 1) != 1 or _opt_int(op, 6, 1) != 1:
            raise UnsupportedGraph("dilated depthwise convolution")
        w = ins[1].permute(3, 1, 2, 0)  # [1,kh,kw,C] -> [C,kh,kw,1]
        return [self._conv(op, ins[0], w, ins[2] if len(ins) > 2 else None,
                           _opt_int(op, 2, 1), _opt_int(op, 1, 1), _opt_byte(op, 0),
                           ins[0].shape[3], _opt_byte(op, 4))]
