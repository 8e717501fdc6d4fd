"""safetensors read and written by hand: no safetensors package is needed.

Layout: an 8-byte little-endian header length N, N bytes of JSON (each tensor's dtype, shape and
[begin, end) offsets into the data section, plus an optional "__metadata__" object of strings),
then the data section of raw little-endian values. Like the reference implementation, a file
whose tensors do not tile the data section exactly (gaps, overlaps, trailing bytes) is refused.
"""
from __future__ import annotations

import json
import os
import struct
from typing import Dict, Iterable, Mapping, Optional, Tuple

import numpy as np
import torch

from .errors import CompanionError

# the spec caps the header at 100 MB: a larger length field is corruption, not a header
MAX_HEADER_BYTES = 100 * 1024 * 1024

_NUMPY_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?",
}
_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "U16": 2,
          "U32": 4, "U64": 8, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}
_TORCH_TO_ST = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
                torch.bool: "BOOL"}


class SafetensorsFile:
    """Parsed header plus the file's bytes; tensors are decoded on request."""

    def __init__(self, path: str, metadata: Dict[str, str], entries: Dict[str, Tuple[str, Tuple[int, ...], int, int]], data: memoryview):
        self.path = path
        self.metadata = metadata
        self.entries = entries  # name -> (dtype, shape, begin, end) relative to the data section
        self._data = data

    def names(self) -> Iterable[str]:
        return self.entries.keys()

    def dtype(self, name: str) -> str:
        return self.entries[name][0]

    def shape(self, name: str) -> Tuple[int, ...]:
        return self.entries[name][1]

    def numpy(self, name: str) -> np.ndarray:
        dtype, shape, begin, end = self.entries[name]
        raw = self._data[begin:end]
        if dtype == "BF16":
            # bfloat16 is the top half of a float32
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            return u.view(np.float32).reshape(shape)
        if dtype not in _NUMPY_DTYPES:
            raise CompanionError(f"{os.path.basename(self.path)}: tensor \"{name}\" is {dtype}, which cannot be read; save the checkpoint in float32, float16 or bfloat16.", code="corrupt-weights")
        return np.frombuffer(raw, dtype=_NUMPY_DTYPES[dtype]).reshape(shape)

    def tensor(self, name: str) -> torch.Tensor:
        """A writable torch copy in the stored dtype (BF16 arrives as float32)."""
        return torch.from_numpy(np.array(self.numpy(name), copy=True))


def _corrupt(path: str, detail: str) -> CompanionError:
    return CompanionError(f"{os.path.basename(path)} is not a valid safetensors file: {detail}.", code="corrupt-weights")


def parse_safetensors(data: bytes, path: str) -> SafetensorsFile:
    if len(data) < 8:
        raise _corrupt(path, f"the file is {len(data)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES:
        raise _corrupt(path, f"the header length field says {n} bytes, more than the 100 MB a header may have")
    if 8 + n > len(data):
        raise _corrupt(path, f"the header length field says {n} bytes but only {len(data) - 8} follow (truncated?)")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _corrupt(path, f"the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise _corrupt(path, "the header is not a JSON object")
    section = memoryview(data)[8 + n:]
    metadata: Dict[str, str] = {}
    entries: Dict[str, Tuple[str, Tuple[int, ...], int, int]] = {}
    for name, desc in header.items():
        if name == "__metadata__":
            if not isinstance(desc, dict) or not all(isinstance(v, str) for v in desc.values()):
                raise _corrupt(path, "__metadata__ must map names to strings")
            metadata = dict(desc)
            continue
        if not isinstance(desc, dict):
            raise _corrupt(path, f"tensor \"{name}\" has no description")
        dtype, shape, offsets = desc.get("dtype"), desc.get("shape"), desc.get("data_offsets")
        if dtype not in _BYTES:
            raise _corrupt(path, f"tensor \"{name}\" has unknown dtype \"{dtype}\"")
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise _corrupt(path, f"tensor \"{name}\" has an invalid shape")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets):
            raise _corrupt(path, f"tensor \"{name}\" has invalid data_offsets")
        begin, end = offsets
        count = 1
        for d in shape:
            count *= d
        if begin > end or end - begin != count * _BYTES[dtype]:
            raise _corrupt(path, f"tensor \"{name}\" has shape {shape} of {dtype} ({count * _BYTES[dtype]} bytes) but offsets {begin}..{end}")
        entries[name] = (dtype, tuple(shape), begin, end)
    # the tensors must tile the data section: no gap, no overlap, nothing after the last one
    at = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda kv: (kv[1][2], kv[1][3])):
        if begin != at:
            raise _corrupt(path, f"tensor \"{name}\" starts at byte {begin} of the data section, not {at} where the previous one ends (gap or overlap)")
        at = end
    if at != len(section):
        raise _corrupt(path, f"the tensors cover {at} bytes but the data section has {len(section)} (truncated or trailing bytes)")
    return SafetensorsFile(path, metadata, entries, section)


def read_safetensors(path: str) -> SafetensorsFile:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CompanionError(f"Cannot read {path}: {e.strerror or e}.", code="missing-file") from None
    return parse_safetensors(data, path)


def _as_bytes(t) -> Tuple[str, Tuple[int, ...], bytes]:
    if isinstance(t, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(t))
    t = t.detach().cpu().contiguous()
    if t.dtype not in _TORCH_TO_ST:
        raise ValueError(f"cannot store dtype {t.dtype} in safetensors")
    dtype = _TORCH_TO_ST[t.dtype]
    if t.dtype == torch.bfloat16:
        raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
    else:
        raw = t.numpy().astype(_NUMPY_DTYPES[dtype], copy=False).tobytes()
    return dtype, tuple(t.shape), raw


def write_safetensors(path: str, tensors: Mapping[str, object], metadata: Optional[Mapping[str, str]] = None) -> None:
    """Writes atomically (temp file, fsync, rename): a crash never leaves a half-written file in place.

    Tensors are laid out as the reference writer does (larger dtypes first, then by name) and the
    header is space-padded so the data section starts 8-byte aligned.
    """
    items = [(name, *_as_bytes(t)) for name, t in tensors.items()]
    items.sort(key=lambda x: (-_BYTES[x[1]], x[0]))
    header: Dict[str, object] = {"__metadata__": dict(metadata if metadata is not None else {"format": "pt"})}
    at = 0
    for name, dtype, shape, raw in items:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [at, at + len(raw)]}
        at += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    tmp = f"{path}.{os.getpid()}.partial"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for _, _, _, raw in items:
                f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
