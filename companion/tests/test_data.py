"""The data file the extension writes is validated with one clear line per problem."""
import json
import os
import shutil
import tempfile
import unittest

import numpy as np

from cmb_companion.data import length_grouped_batches, read_training_data
from cmb_companion.errors import CompanionError
from cmb_companion.safetensors_io import read_safetensors, write_safetensors
from cmb_companion.synthetic import make_synthetic


class DataFileTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cmb-data-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.ner = make_synthetic(os.path.join(self.dir, "ner.cmbdata"), "ner", train=12, dev=4, test=4)
        self.cls = make_synthetic(os.path.join(self.dir, "cls.cmbdata"), "classify", train=12, dev=4, test=4)

    def variant(self, src, change_tensors=None, change_meta=None):
        f = read_safetensors(src)
        tensors = {n: np.array(f.numpy(n)) for n in f.names()}
        meta = dict(f.metadata)
        if change_tensors:
            change_tensors(tensors)
        if change_meta:
            change_meta(meta)
        path = os.path.join(self.dir, f"v{len(os.listdir(self.dir))}.cmbdata")
        write_safetensors(path, tensors, meta)
        return path

    def refused(self, path, fragment):
        with self.assertRaises(CompanionError) as cm:
            read_training_data(path)
        self.assertIn(fragment, cm.exception.message)
        self.assertNotIn("\n", cm.exception.message)
        self.assertEqual(cm.exception.exit_code, 2)

    def test_reads_synthetic_files(self):
        d = read_training_data(self.ner)
        self.assertEqual(d.task, "ner")
        self.assertEqual(set(d.splits), {"train", "dev", "test"})
        s = d.splits["train"]
        self.assertEqual(s.documents, 12)
        self.assertEqual(sum(len(w) for w in s.windows), s.tokens)
        self.assertEqual(s.labels[0][0], -100, "[CLS] is not scored")
        c = read_training_data(self.cls)
        self.assertEqual(len(c.splits["train"].labels), len(c.splits["train"].windows))

    def test_empty_split(self):
        def empty(t):
            for k in ("input_ids", "lengths", "labels", "doc_index"):
                t[f"dev.{k}"] = t[f"dev.{k}"][:0]
        self.refused(self.variant(self.ner, empty), "the dev split is empty")

    def test_no_train_split(self):
        def drop(t):
            for k in [k for k in t if k.startswith("train.")]:
                del t[k]
        self.refused(self.variant(self.ner, drop), "no train split")

    def test_label_ids_out_of_range(self):
        def bump(t):
            t["train.labels"][5] = 9
        self.refused(self.variant(self.ner, bump), "label id 9 at token 5, but id2label has 5 labels")
        def bump_cls(t):
            t["test.labels"][0] = 3
        self.refused(self.variant(self.cls, bump_cls), "label id 3 for window 0")

    def test_labels_missing(self):
        def none(t):
            t["train.labels"][:] = -100
        self.refused(self.variant(self.ner, none), "no labelled token")
        self.refused(self.variant(self.ner, change_meta=lambda m: m.update(id2label="[]")), "id2label is empty")
        self.refused(self.variant(self.ner, change_meta=lambda m: m.update(id2label='["O", "PROBLEM"]')), "not an IOB2 tag")
        self.refused(self.variant(self.cls, change_meta=lambda m: m.update(id2label='["only"]')), "at least 2 labels")

    def test_lengths_not_summing(self):
        def grow(t):
            t["train.lengths"][0] += 1
        self.refused(self.variant(self.ner, grow), "train.lengths sum to")
        def zero(t):
            t["train.lengths"][1] += t["train.lengths"][0]
            t["train.lengths"][0] = 0
        self.refused(self.variant(self.ner, zero), "window 0 of the train split has length 0")

    def test_wrong_dtypes_and_names(self):
        self.refused(self.variant(self.ner, lambda t: t.update({"train.input_ids": t["train.input_ids"].astype(np.int64)})), "train.input_ids is I64; it must be I32")
        self.refused(self.variant(self.ner, lambda t: t.update({"trian.lengths": t["train.lengths"]})), "unexpected tensor \"trian.lengths\"")
        self.refused(self.variant(self.ner, change_meta=lambda m: m.update(format="other")), "not a companion data file")
        self.refused(self.variant(self.ner, change_meta=lambda m: m.update(version="9")), "format version \"9\" is not supported")
        self.refused(self.variant(self.ner, change_meta=lambda m: m.update(task="qa")), "must be \"ner\" or \"classify\"")

    def test_doc_index_must_keep_documents_together(self):
        def shuffle(t):
            t["train.doc_index"][0], t["train.doc_index"][-1] = t["train.doc_index"][-1], t["train.doc_index"][0]
        self.refused(self.variant(self.ner, shuffle), "doc_index must start at 0")

    def test_corrupt_file(self):
        path = os.path.join(self.dir, "bad.cmbdata")
        with open(self.ner, "rb") as f:
            blob = f.read()
        with open(path, "wb") as f:
            f.write(blob[: len(blob) // 2])
        self.refused(path, "not a valid safetensors file")

    def test_warns_about_labels_train_lacks(self):
        def no_test_entities(t):
            lab = t["train.labels"]
            lab[lab == 3] = 0
            lab[lab == 4] = 0
        d = read_training_data(self.variant(self.ner, no_test_entities))
        self.assertTrue(any("never seen in the train split" in w and "B-TEST" in w for w in d.warnings), d.warnings)

    def test_length_grouped_batches_cover_every_window_once_and_group_lengths(self):
        lengths = np.random.default_rng(0).integers(5, 500, size=1000)
        batches = length_grouped_batches(lengths, 16, np.random.default_rng(1))
        flat = np.concatenate(batches)
        self.assertEqual(sorted(flat.tolist()), list(range(1000)))
        waste = sum(int(lengths[b].max()) * len(b) - int(lengths[b].sum()) for b in batches)
        random_waste = sum(int(lengths[b].max()) * len(b) - int(lengths[b].sum()) for b in np.array_split(np.random.default_rng(2).permutation(1000), len(batches)))
        self.assertLess(waste, random_waste / 5, "length grouping cuts padding")
        again = length_grouped_batches(lengths, 16, np.random.default_rng(1))
        self.assertTrue(all((a == b).all() for a, b in zip(batches, again)), "seeded")


if __name__ == "__main__":
    unittest.main()
