"""Minimal hand-written reader for the TensorFlow Lite flatbuffer format.

Debian ships no TFLite runtime and we have no generated schema classes, so this
module reads the few tables of the public TFLite schema (schema.fbs) that a
plain feed-forward graph needs, through the flatbuffers runtime's Table API.
Field numbers below are the schema's field ids; a table's vtable slot for
field i is 4 + 2*i.
"""
from __future__ import annotations

import dataclasses
import struct

import numpy as np
from flatbuffers import number_types as N
from flatbuffers.table import Table

# TensorType enum (schema.fbs) -> numpy dtype.
TENSOR_TYPES = {
    0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64,
    6: np.bool_, 7: np.int16, 9: np.int8, 10: np.float64,
}

# BuiltinOperator enum values used by feed-forward audio/vision graphs.
BUILTIN_OPS = {
    0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D",
    4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 14: "LOGISTIC",
    17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 21: "RELU6", 22: "RESHAPE",
    25: "SOFTMAX", 28: "TANH", 32: "CUSTOM", 34: "PAD", 36: "GATHER",
    39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 42: "DIV", 43: "SQUEEZE",
    45: "STRIDED_SLICE", 47: "EXP", 49: "SPLIT", 53: "CAST", 55: "MAXIMUM",
    57: "MINIMUM", 65: "SLICE", 69: "TILE", 70: "EXPAND_DIMS", 73: "LOG",
    74: "SUM", 75: "SQRT", 76: "RSQRT", 77: "SHAPE", 78: "POW", 83: "PACK",
    88: "UNPACK", 92: "SQUARE", 96: "RANGE", 99: "SQUARED_DIFFERENCE",
    101: "ABS", 102: "SPLIT_V", 114: "QUANTIZE", 126: "BATCH_MATMUL",
    131: "RFFT2D", 135: "COMPLEX_ABS",
}


class FlatbufferError(ValueError):
    """Raised when the file is not a TFLite flatbuffer this reader understands."""


def _slot(field_id: int) -> int:
    return 4 + 2 * field_id


class _T:
    """Thin helper around flatbuffers.table.Table with schema-level accessors."""

    def __init__(self, buf: bytearray, pos: int):
        if pos < 0 or pos + 4 > len(buf):
            raise FlatbufferError(f"table offset {pos} out of range")
        self.t = Table(buf, pos)

    def present(self, fid: int) -> bool:
        return self.t.Offset(_slot(fid)) != 0

    def scalar(self, fid: int, flags, default):
        return self.t.GetSlot(_slot(fid), default, flags)

    def string(self, fid: int) -> str | None:
        o = self.t.Offset(_slot(fid))
        return self.t.String(o + self.t.Pos).decode("utf-8") if o else None

    def vector_len(self, fid: int) -> int:
        o = self.t.Offset(_slot(fid))
        return self.t.VectorLen(o) if o else 0

    def numpy_vector(self, fid: int, flags) -> np.ndarray:
        o = self.t.Offset(_slot(fid))
        if not o:
            return np.zeros(0, dtype=N.to_numpy_type(flags))
        return self.t.GetVectorAsNumpy(flags, o)

    def table_vector(self, fid: int) -> list["_T"]:
        o = self.t.Offset(_slot(fid))
        if not o:
            return []
        start, n = self.t.Vector(o), self.t.VectorLen(o)
        return [_T(self.t.Bytes, self.t.Indirect(start + 4 * i)) for i in range(n)]

    def table(self, fid: int) -> "_T | None":
        o = self.t.Offset(_slot(fid))
        if not o:
            return None
        return _T(self.t.Bytes, self.t.Indirect(self.t.Pos + o))


@dataclasses.dataclass
class Tensor:
    index: int
    name: str
    shape: tuple
    dtype: type
    buffer: int
    scale: np.ndarray
    zero_point: np.ndarray
    quantized_dimension: int
    data: np.ndarray | None  # constant data (raw, not dequantized) or None

    def dequantized(self) -> np.ndarray:
        """Constant tensor as float32, applying the (per-tensor or per-axis) scale."""
        if self.data is None:
            raise FlatbufferError(f"tensor {self.name} has no constant data")
        if self.dtype in (np.int8, np.uint8, np.int16, np.int32) and self.scale.size:
            shape = [1] * self.data.ndim
            if self.scale.size > 1:
                shape[self.quantized_dimension] = -1
            scale = self.scale.reshape(shape).astype(np.float64)
            zp = self.zero_point.reshape(shape).astype(np.float64)
            return ((self.data.astype(np.float64) - zp) * scale).astype(np.float32)
        return self.data.astype(np.float32)


@dataclasses.dataclass
class Operator:
    opcode: str
    inputs: list
    outputs: list
    options: "_T | None"
    options_type: int


@dataclasses.dataclass
class Model:
    tensors: list
    operators: list
    inputs: list
    outputs: list

    def tensor_by_name(self, name: str) -> Tensor:
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(name)


def load(path: str) -> Model:
    with open(path, "rb") as f:
        buf = bytearray(f.read())
    if len(buf) < 8 or bytes(buf[4:8]) != b"TFL3":
        raise FlatbufferError(f"{path}: not a TFLite flatbuffer (identifier TFL3 missing)")
    root = _T(buf, struct.unpack_from("<I", buf, 0)[0])

    opcodes = []
    for oc in root.table_vector(1):
        code = oc.scalar(3, N.Int32Flags, 0)
        deprecated = oc.scalar(0, N.Int8Flags, 0)
        code = max(code, deprecated)  # schema >= 2.3 stores the code in both fields
        opcodes.append(BUILTIN_OPS.get(code, f"OP_{code}"))

    buffers = []
    for b in root.table_vector(4):
        if b.scalar(1, N.Uint64Flags, 0):
            raise FlatbufferError("external buffers (offset/size) are not supported")
        buffers.append(b.numpy_vector(0, N.Uint8Flags))

    subgraphs = root.table_vector(2)
    if len(subgraphs) != 1:
        raise FlatbufferError(f"expected one subgraph, found {len(subgraphs)}")
    sg = subgraphs[0]

    tensors = []
    for i, t in enumerate(sg.table_vector(0)):
        ttype = t.scalar(1, N.Int8Flags, 0)
        if ttype not in TENSOR_TYPES:
            raise FlatbufferError(f"unsupported tensor type {ttype}")
        dtype = TENSOR_TYPES[ttype]
        shape = tuple(int(x) for x in t.numpy_vector(0, N.Int32Flags))
        bidx = t.scalar(2, N.Uint32Flags, 0)
        q = t.table(4)
        scale = q.numpy_vector(2, N.Float32Flags).copy() if q else np.zeros(0, np.float32)
        zp = q.numpy_vector(3, N.Int64Flags).copy() if q else np.zeros(0, np.int64)
        qdim = q.scalar(6, N.Int32Flags, 0) if q else 0
        raw = buffers[bidx] if bidx < len(buffers) else np.zeros(0, np.uint8)
        data = None
        if raw.size:
            data = np.frombuffer(raw.tobytes(), dtype=dtype).reshape(shape)
        tensors.append(Tensor(i, t.string(3) or f"t{i}", shape, dtype, bidx, scale, zp,
                              qdim, data))

    operators = []
    for op in sg.table_vector(3):
        idx = op.scalar(0, N.Uint32Flags, 0)
        if idx >= len(opcodes):
            raise FlatbufferError(f"operator code index {idx} out of range")
        operators.append(Operator(opcodes[idx],
                                  [int(x) for x in op.numpy_vector(1, N.Int32Flags)],
                                  [int(x) for x in op.numpy_vector(2, N.Int32Flags)],
                                  op.table(4), op.scalar(3, N.Uint8Flags, 0)))
    return Model(tensors, operators,
                 [int(x) for x in sg.numpy_vector(1, N.Int32Flags)],
                 [int(x) for x in sg.numpy_vector(2, N.Int32Flags)])


if __name__ == "__main__":
    import sys
    m = load(sys.argv[1])
    print("inputs", [m.tensors[i].name for i in m.inputs], "outputs",
          [m.tensors[i].name for i in m.outputs])
    for k, op in enumerate(m.operators):
        ins = [f"{m.tensors[i].name}{list(m.tensors[i].shape)}:{np.dtype(m.tensors[i].dtype).name}"
               f"{'*' if m.tensors[i].data is not None else ''}" if i >= 0 else "-" for i in op.inputs]
        outs = [f"{m.tensors[i].name}{list(m.tensors[i].shape)}" for i in op.outputs]
        print(k, op.opcode, op.options_type, ins, "->", outs)
