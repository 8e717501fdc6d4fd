"""The metrics port reproduces the golden cases shared with the TypeScript engine."""
import json
import os
import unittest

from cmb_companion.metrics import classification_metrics, entity_metrics, iob2_entities

CASES = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "metrics", "cases.json")


class MetricsTest(unittest.TestCase):
    def setUp(self):
        with open(CASES) as f:
            self.cases = json.load(f)

    def close(self, actual, expected, where):
        if isinstance(expected, dict):
            self.assertEqual(set(actual) & set(expected), set(expected), where)
            for k, v in expected.items():
                self.close(actual[k], v, f"{where}.{k}")
        elif isinstance(expected, list):
            self.assertEqual(len(actual), len(expected), where)
            for i, (a, e) in enumerate(zip(actual, expected)):
                self.close(a, e, f"{where}[{i}]")
        elif expected is None:
            self.assertIsNone(actual, where)
        else:
            self.assertAlmostEqual(actual, expected, places=6, msg=where)

    def test_entity_cases(self):
        self.assertGreaterEqual(len(self.cases["entity"]), 5)
        for c in self.cases["entity"]:
            with self.subTest(c["name"]):
                m = entity_metrics(c["true"], c["pred"])
                self.close(m, c["expected"], c["name"])
                self.assertEqual(set(m["per_label"]), set(c["expected"]["per_label"]), c["name"])

    def test_classification_cases(self):
        for c in self.cases["classification"]:
            with self.subTest(c["name"]):
                ix = {l: i for i, l in enumerate(c["labels"])}
                m = classification_metrics(c["labels"], [ix[t] for t in c["true"]], [ix[p] for p in c["pred"]], c["probabilities"])
                self.close(m, c["expected"], c["name"])

    def test_strict_iob2_entities(self):
        self.assertEqual(iob2_entities(["I-X", "I-X", "B-X", "I-X", "I-Y", "B-Y"]), [("X", 2, 4), ("Y", 5, 6)])
        with self.assertRaises(ValueError):
            iob2_entities(["PROBLEM"])


if __name__ == "__main__":
    unittest.main()
