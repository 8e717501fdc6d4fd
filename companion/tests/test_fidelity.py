"""The PyTorch models reproduce transformers' outputs stored in test/fixtures/fidelity (bert and
modernbert, MLM, token and sequence heads) to 1e-5 in fp32, at positions whose mask is 1."""
import json
import os
import unittest

import torch

from cmb_companion.checkpoint import build_model, open_model_folder
from cmb_companion.models import HAS_SDPA

FIXTURES = os.environ.get("CMB_FIDELITY_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "fidelity")
TOLERANCE = 1e-5


def masked_max_diff(actual: torch.Tensor, expected: dict, mask: torch.Tensor) -> float:
    e = torch.tensor(expected["data"]).view(expected["dims"])
    assert list(actual.shape) == expected["dims"], (list(actual.shape), expected["dims"])
    d = (actual - e).abs()
    return d.max().item() if e.dim() == 2 else d[mask.bool()].max().item()


class FidelityTest(unittest.TestCase):
    def fixtures(self):
        if not os.path.isdir(FIXTURES):
            self.skipTest(f"no fidelity fixtures in {FIXTURES}")
        return sorted(n for n in os.listdir(FIXTURES) if os.path.isfile(os.path.join(FIXTURES, n, "expected.json")))

    def test_every_fixture_within_tolerance(self):
        names = self.fixtures()
        self.assertEqual(len(names), 6)
        for name in names:
            for eager in ([True, False] if HAS_SDPA else [True]):
                with self.subTest(fixture=name, eager=eager):
                    d = os.path.join(FIXTURES, name)
                    with open(os.path.join(d, "expected.json")) as f:
                        exp = json.load(f)
                    model, fresh = build_model(open_model_folder(d))
                    self.assertEqual(fresh, [])
                    model.eval()
                    model.eager = eager
                    ids, mask = torch.tensor(exp["input_ids"]), torch.tensor(exp["attention_mask"])
                    with torch.no_grad():
                        hidden, logits = model(ids, mask)
                    dh = masked_max_diff(hidden, exp["last_hidden_state"], mask)
                    dl = masked_max_diff(logits, exp["logits"], mask)
                    print(f"fidelity {name} ({'eager' if eager else 'sdpa'}): last_hidden_state {dh:.2e}, logits {dl:.2e}")
                    self.assertLessEqual(dh, TOLERANCE)
                    self.assertLessEqual(dl, TOLERANCE)

    def test_state_dict_names_are_the_checkpoint_names(self):
        for name in self.fixtures():
            folder = open_model_folder(os.path.join(FIXTURES, name))
            model, _ = build_model(folder)
            self.assertEqual(set(model.state_dict()), set(folder.by_name), name)

    def test_a_wrong_semantics_is_caught(self):
        """The comparison can fail: swapping ModernBERT's rope thetas moves the logits far past the tolerance."""
        d = os.path.join(FIXTURES, "modernbert-token")
        if not os.path.isdir(d):
            self.skipTest("no modernbert-token fixture")
        with open(os.path.join(d, "expected.json")) as f:
            exp = json.load(f)
        folder = open_model_folder(d)
        folder.config.global_rope_theta, folder.config.local_rope_theta = folder.config.local_rope_theta, folder.config.global_rope_theta
        model, _ = build_model(folder)
        model.eval()
        ids, mask = torch.tensor(exp["input_ids"]), torch.tensor(exp["attention_mask"])
        with torch.no_grad():
            _, logits = model(ids, mask)
        self.assertGreater(masked_max_diff(logits, exp["logits"], mask), 1e-2)


if __name__ == "__main__":
    unittest.main()
