"""Dev/test figures are per document: overlapping windows are scored once (eval_mask) and a
document's class comes from its windows' probabilities weighted as inference weighs them."""
import unittest

import numpy as np
import torch

from cmb_companion.data import Split, TrainingData
from cmb_companion.train import _Evaluator


class FixedLogits(torch.nn.Module):
    """Logits chosen by token id: id k scores label k % n highest (strength by id // 100)."""

    def __init__(self, n, task):
        super().__init__()
        self.n, self.task = n, task

    def forward(self, ids, mask):
        strength = (ids // 100 + 1).float()
        logits = torch.nn.functional.one_hot(ids % self.n, self.n).float() * strength[..., None]
        if self.task == "classify":
            return None, logits[:, 1]  # the token after [CLS] decides the window
        return None, logits


def split(windows, labels, doc, masks=None, weights=None):
    return Split("dev", [np.array(w) for w in windows], [np.array(l) for l in labels], np.array(doc),
                 masks or [np.ones(len(w), dtype=bool) for w in windows], np.array(weights or [1.0] * len(windows)))


class EvaluationTest(unittest.TestCase):
    def test_ner_windows_of_a_document_join_and_overlaps_count_once(self):
        labels = ["O", "B-X", "I-X"]
        data = TrainingData("mem", "ner", labels, {})
        ev = _Evaluator(data, torch.device("cpu"), 0, 4, False)
        # document 0: tokens 10..13 in two windows overlapping on the middle two; truth O B-X I-X O
        w1, l1 = [3, 1, 2, 3], [0, 1, 2, 0]          # predicts O B I O: right
        w2, l2 = [4, 0, 3], [2, 0, -100]            # the second window's copy of the I-X token, at its edge, is predicted B-X
        s = split([w1, w2], [l1, l2], [0, 0], masks=[np.array([1, 1, 1, 1], bool), np.array([0, 1, 0], bool)])
        m = ev.metrics(FixedLogits(3, "ner"), s)
        self.assertEqual(m["documents"], 1)
        self.assertEqual(m["micro"]["f1"], 1.0)
        unmasked = ev.metrics(FixedLogits(3, "ner"), split([w1, w2], [l1, l2], [0, 0]))
        self.assertLess(unmasked["token_accuracy"], 1.0, "without eval_mask the overlap's wrong copy is scored")

    def test_classification_weighs_windows_like_inference(self):
        labels = ["a", "b"]
        data = TrainingData("mem", "classify", labels, {})
        ev = _Evaluator(data, torch.device("cpu"), 0, 4, False)
        # window 1 says a (strongly), window 2 says b (more strongly); truth a
        windows, truth = [[2, 200, 3], [2, 301, 3]], [[0], [0]]
        weighted = ev.metrics(FixedLogits(2, "classify"), split(windows, truth, [0, 0], weights=[10.0, 1.0]))
        self.assertEqual(weighted["accuracy"], 1.0)
        equal = ev.metrics(FixedLogits(2, "classify"), split(windows, truth, [0, 0]))
        self.assertEqual(equal["accuracy"], 0.0)
        self.assertEqual(equal["confusion"], [[0, 1], [0, 0]])


if __name__ == "__main__":
    unittest.main()
