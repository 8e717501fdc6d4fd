"""safetensors read and written by hand: round trips, and refusals like the reference library's."""
import json
import os
import shutil
import struct
import tempfile
import unittest

import numpy as np
import torch

from cmb_companion.errors import CompanionError
from cmb_companion.safetensors_io import parse_safetensors, read_safetensors, write_safetensors


def raw_file(header: dict, data: bytes) -> bytes:
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


class SafetensorsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cmb-st-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_round_trip_keeps_names_dtypes_values_and_metadata(self):
        path = os.path.join(self.dir, "a.safetensors")
        tensors = {"b.weight": torch.randn(3, 4), "a.ids": torch.arange(5, dtype=torch.int32), "m": torch.tensor([1, 0], dtype=torch.uint8),
                   "h": torch.randn(2).to(torch.bfloat16)}
        write_safetensors(path, tensors, {"format": "pt", "x": "y"})
        f = read_safetensors(path)
        self.assertEqual(f.metadata, {"format": "pt", "x": "y"})
        self.assertEqual(f.dtype("a.ids"), "I32")
        self.assertEqual(f.dtype("h"), "BF16")
        for k, v in tensors.items():
            self.assertTrue(torch.equal(f.tensor(k), v.float() if v.dtype == torch.bfloat16 else v), k)
        with open(path, "rb") as fh:
            n = struct.unpack("<Q", fh.read(8))[0]
        self.assertEqual((8 + n) % 8, 0, "data section 8-byte aligned")
        self.assertFalse([p for p in os.listdir(self.dir) if p.endswith(".partial")])

    def test_reads_bf16_and_f16_as_values(self):
        data = np.array([1.5, -2.0], dtype=np.float16).tobytes() + (np.array([0x3FC0, 0xC000], dtype="<u2")).tobytes()
        f = parse_safetensors(raw_file({"f": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
                                        "b": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 8]}}, data), "x")
        self.assertEqual(f.tensor("f").float().tolist(), [1.5, -2.0])
        self.assertEqual(f.tensor("b").tolist(), [1.5, -2.0])

    def refuses(self, blob: bytes, fragment: str):
        with self.assertRaises(CompanionError) as cm:
            parse_safetensors(blob, "w.safetensors")
        self.assertIn(fragment, cm.exception.message)
        self.assertNotIn("\n", cm.exception.message)

    def test_refuses_corrupt_files_with_one_line(self):
        ok = {"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
        self.refuses(b"\x01\x02", "shorter than the 8-byte header length")
        self.refuses(struct.pack("<Q", 1 << 40), "more than the 100 MB")
        self.refuses(struct.pack("<Q", 100) + b"{}", "truncated")
        self.refuses(struct.pack("<Q", 3) + b"{x}", "not valid JSON")
        self.refuses(raw_file(ok, b"\0" * 4), "truncated")
        self.refuses(raw_file({"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8), "shape [3] of F32")
        self.refuses(raw_file(ok, b"\0" * 12), "trailing bytes")
        self.refuses(raw_file({"t": {"dtype": "Q8", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8), "unknown dtype")
        gap = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}
        self.refuses(raw_file(gap, b"\0" * 12), "gap or overlap")
        overlap = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}
        self.refuses(raw_file(overlap, b"\0" * 8), "gap or overlap")

    def test_missing_file_is_one_line(self):
        with self.assertRaises(CompanionError) as cm:
            read_safetensors(os.path.join(self.dir, "nope.safetensors"))
        self.assertIn("Cannot read", cm.exception.message)


if __name__ == "__main__":
    unittest.main()
