"""Full fine-tuning on the CPU with tiny models: it learns, it resumes exactly, it refuses bad input clearly."""
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import torch

from cmb_companion.__main__ import main
from cmb_companion.checkpoint import build_model, open_model_folder
from cmb_companion.errors import CompanionError, OutOfMemory
from cmb_companion.protocol import Events
from cmb_companion.safetensors_io import read_safetensors
from cmb_companion.synthetic import make_synthetic
from cmb_companion.train import TrainArgs, train

from .tiny_models import make_tiny_model

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, timeout=120):
    env = {**os.environ, "PYTHONPATH": PACKAGE_ROOT}
    return subprocess.run([sys.executable, "-m", "cmb_companion", *args], capture_output=True, text=True, env=env, timeout=timeout)


def run_main(*args):
    """The CLI in this process (no second torch import): exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


def events_of(stdout: str):
    return [json.loads(l) for l in stdout.splitlines() if l.strip()]


class TrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cmb-train-")
        cls.bert = make_tiny_model(os.path.join(cls.dir, "bert"), "bert")
        cls.modernbert = make_tiny_model(os.path.join(cls.dir, "modernbert"), "modernbert")
        cls.ner = make_synthetic(os.path.join(cls.dir, "ner.cmbdata"), "ner", seed=1)
        cls.cls = make_synthetic(os.path.join(cls.dir, "cls.cmbdata"), "classify", seed=2, train=150)
        # resume tests: 3 epochs of 10 steps, so a kill lands mid-epoch quickly
        cls.small = make_synthetic(os.path.join(cls.dir, "small.cmbdata"), "ner", seed=4, train=40, dev=10, test=10)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.dir, name)

    def run_inprocess(self, **kw):
        events = []
        args = TrainArgs(**{"epochs": 3, "lr": 2e-3, "batch": 8, "log_every": 1000, "threads": 1, **kw})
        done = train(args, Events(stream=None, sink=events.append))
        return done, events

    def test_tiny_ner_fine_tune_learns_and_exports_a_transformers_folder(self):
        for arch, model in (("bert", self.bert), ("modernbert", self.modernbert)):
            with self.subTest(arch=arch):
                out = self.out(f"ner-{arch}")
                done, events = self.run_inprocess(data=self.ner, model=model, out=out)
                test_f1 = done["metrics"]["test"]["f1"]
                print(f"tiny {arch} NER full fine-tune: test F1 {test_f1:.3f} after {done['steps']} steps")
                self.assertGreaterEqual(test_f1, 0.95)
                kinds = [e["event"] for e in events]
                self.assertEqual(kinds[-1], "done")
                self.assertIn("step", kinds)
                self.assertEqual(sum(1 for e in events if e["event"] == "eval" and not e.get("final")), 3)
                step = next(e for e in events if e["event"] == "step")
                self.assertEqual(set(step), {"event", "step", "epoch", "loss", "lr", "tokens_per_s", "eta_s", "total_steps"})
                self.assertEqual(sorted(os.listdir(out)), ["config.json", "metrics.json", "model.safetensors", "tokenizer.json", "training_args.json"])
                with open(os.path.join(out, "config.json")) as f:
                    cfg = json.load(f)
                self.assertEqual(cfg["architectures"], ["BertForTokenClassification" if arch == "bert" else "ModernBertForTokenClassification"])
                self.assertEqual(cfg["id2label"]["1"], "B-PROBLEM")
                names = set(read_safetensors(os.path.join(out, "model.safetensors")).names())
                self.assertIn("classifier.weight", names)
                self.assertIn("bert.encoder.layer.0.attention.self.query.weight" if arch == "bert" else "model.layers.1.attn.Wqkv.weight", names)
                self.assertFalse(any("pooler" in n for n in names), "BertForTokenClassification has no pooler")
                with open(os.path.join(out, "metrics.json")) as f:
                    metrics = json.load(f)
                self.assertAlmostEqual(metrics["test"]["micro"]["f1"], test_f1)
                # the exported folder reloads as the same model
                reloaded, fresh = build_model(open_model_folder(out))
                self.assertEqual(fresh, [])
                self.assertEqual(reloaded.head_kind, "token")

    def test_tiny_classification_fine_tune_learns(self):
        done, _ = self.run_inprocess(data=self.cls, model=self.bert, out=self.out("cls-bert"), epochs=5, lr=3e-3)
        print(f"tiny bert classification full fine-tune: test accuracy {done['metrics']['test']['accuracy']:.3f}")
        self.assertGreaterEqual(done["metrics"]["test"]["accuracy"], 0.9)
        with open(self.out("cls-bert/config.json")) as f:
            self.assertEqual(json.load(f)["architectures"], ["BertForSequenceClassification"])

    def test_kill_9_then_resume_gives_the_uninterrupted_result_bit_for_bit(self):
        # the reference runs in this process, the interrupted one in another: same settings, one thread each
        self.run_inprocess(data=self.small, model=self.bert, out=self.out("ref"), seed=7)
        common = ["train", "--data", self.small, "--model", self.bert, "--epochs", "3", "--lr", "2e-3", "--batch", "8", "--threads", "1", "--seed", "7"]
        out = self.out("killed")
        env = {**os.environ, "PYTHONPATH": PACKAGE_ROOT}
        p = subprocess.Popen([sys.executable, "-m", "cmb_companion", *common, "--out", out, "--save-every-steps", "3", "--log-every", "1"],
                             stdout=subprocess.PIPE, text=True, env=env)
        killed_after = None
        steps_per_epoch = None
        for line in p.stdout:
            e = json.loads(line)
            steps_per_epoch = steps_per_epoch or e.get("steps_per_epoch")
            # past a mid-epoch checkpoint of epoch 2: the steps after it are lost and must be redone
            if e["event"] == "step" and e["step"] >= steps_per_epoch + 5:
                killed_after = e["step"]
                p.send_signal(signal.SIGKILL)
                break
        p.wait()
        p.stdout.close()
        self.assertIsNotNone(killed_after)
        self.assertEqual(p.returncode, -signal.SIGKILL)
        self.assertFalse(os.path.exists(os.path.join(out, "config.json")))
        resumed = run_cli(*common, "--out", out, "--resume")
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        info = next(e for e in events_of(resumed.stdout) if e["event"] == "info" and "Resuming" in e["message"])
        self.assertTrue(steps_per_epoch < info["step"] <= killed_after, info)
        with open(os.path.join(self.out("ref"), "model.safetensors"), "rb") as a, open(os.path.join(out, "model.safetensors"), "rb") as b:
            self.assertTrue(a.read() == b.read(), "the resumed run's weights equal the uninterrupted run's, bit for bit")
        with open(os.path.join(self.out("ref"), "metrics.json")) as a, open(os.path.join(out, "metrics.json")) as b:
            ma, mb = json.load(a), json.load(b)
        self.assertEqual(ma["test"], mb["test"])
        self.assertEqual(ma["dev"], mb["dev"])
        self.assertEqual(ma["history"], mb["history"])

    def test_sigint_saves_a_checkpoint_and_exits_cleanly(self):
        out = self.out("interrupted")
        env = {**os.environ, "PYTHONPATH": PACKAGE_ROOT}
        p = subprocess.Popen([sys.executable, "-m", "cmb_companion", "train", "--data", self.small, "--model", self.bert, "--out", out,
                              "--epochs", "3", "--batch", "8", "--log-every", "1", "--threads", "1", "--lr", "2e-3"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        lines = []
        for line in p.stdout:
            lines.append(json.loads(line))
            if lines[-1]["event"] == "step" and lines[-1]["step"] == 4:
                p.send_signal(signal.SIGINT)
        p.wait()
        stderr = p.stderr.read()
        p.stdout.close()
        p.stderr.close()
        self.assertEqual(p.returncode, 130, stderr)
        self.assertNotIn("Traceback", stderr)
        self.assertEqual(lines[-1]["event"], "stopped")
        self.assertEqual(lines[-2]["event"], "checkpoint")
        self.assertIn("--resume", lines[-1]["message"])
        code, stdout, stderr = run_main("train", "--data", self.small, "--model", self.bert, "--out", out, "--epochs", "3", "--batch", "8", "--threads", "1", "--lr", "2e-3", "--resume")
        self.assertEqual(code, 0, stderr)
        self.assertEqual(events_of(stdout)[-1]["event"], "done")

    def test_resume_with_other_settings_is_refused(self):
        out = self.out("settings")
        self.run_inprocess(data=self.ner, model=self.bert, out=out, epochs=1, keep_checkpoint=True)
        with self.assertRaises(CompanionError) as cm:
            self.run_inprocess(data=self.ner, model=self.bert, out=out, epochs=1, batch=4, resume=True)
        self.assertIn("--batch differs (8 then, 4 now)", cm.exception.message)
        with self.assertRaises(CompanionError) as cm:
            self.run_inprocess(data=self.cls, model=self.bert, out=out, epochs=1, resume=True)
        self.assertIn("the data file differs", cm.exception.message)

    def test_out_of_memory_is_reported_as_such(self):
        def oom(*_a, **_k):
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        with mock.patch("cmb_companion.models.EncoderWithHead.forward", oom):
            with self.assertRaises(OutOfMemory) as cm:
                self.run_inprocess(data=self.ner, model=self.bert, out=self.out("oom"), batch=32)
        self.assertEqual(cm.exception.exit_code, 3)
        self.assertIn("Out of memory on cpu with batches of 32 windows", cm.exception.message)
        self.assertIn("lower --batch (e.g. 16)", cm.exception.message)

    def test_layers_trainable_freezes_embeddings_and_lower_layers(self):
        out = self.out("frozen")
        self.run_inprocess(data=self.ner, model=self.bert, out=out, epochs=1, layers_trainable=1)
        src, dst = read_safetensors(os.path.join(self.bert, "model.safetensors")), read_safetensors(os.path.join(out, "model.safetensors"))
        same = lambda a, b: torch.equal(src.tensor(a), dst.tensor(b))  # noqa: E731
        self.assertTrue(same("embeddings.word_embeddings.weight", "bert.embeddings.word_embeddings.weight"))
        self.assertTrue(same("encoder.layer.0.attention.self.query.weight", "bert.encoder.layer.0.attention.self.query.weight"))
        self.assertFalse(same("encoder.layer.1.attention.self.query.weight", "bert.encoder.layer.1.attention.self.query.weight"))

    def test_early_stopping_and_no_dev_split(self):
        done, _ = self.run_inprocess(data=self.ner, model=self.bert, out=self.out("early"), epochs=5, lr=1e-12, patience=1)
        self.assertTrue(done["stopped_early"])
        self.assertEqual(done["epochs_run"], 2)
        nodev = make_synthetic(self.out("nodev.cmbdata"), "ner", seed=3, dev=0)
        done, events = self.run_inprocess(data=nodev, model=self.bert, out=self.out("nodev"), epochs=1)
        self.assertEqual(set(done["metrics"]), {"test"})
        self.assertFalse(any(e["event"] == "eval" and e["split"] == "dev" for e in events))


class CliBadInputTest(unittest.TestCase):
    """Each bad input gives exit code 2, one line on stderr, and an error event as the last stdout line."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cmb-cli-")
        cls.model = make_tiny_model(os.path.join(cls.dir, "m"), "bert")
        cls.data = make_synthetic(os.path.join(cls.dir, "d.cmbdata"), "ner", train=10, dev=2, test=2)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def refused(self, fragment, *args):
        code, stdout, stderr = run_main(*args)
        self.assertEqual(code, 2, stdout + stderr)
        lines = stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, stderr)
        self.assertIn(fragment, lines[0])
        if args[0] == "train" and stdout.strip():
            last = events_of(stdout)[-1]
            self.assertEqual(last["event"], "error")
            self.assertEqual(last["message"], lines[0])

    def test_bad_inputs(self):
        out = lambda n: os.path.join(self.dir, n)  # noqa: E731
        self.refused("has no config.json", "train", "--data", self.data, "--model", self.dir, "--out", out("o1"))
        empty_model = os.path.join(self.dir, "nomodel")
        os.makedirs(empty_model)
        with open(os.path.join(empty_model, "config.json"), "w") as f:
            json.dump({"model_type": "bert", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8}, f)
        self.refused("has no model.safetensors", "train", "--data", self.data, "--model", empty_model, "--out", out("o2"))
        self.refused("Cannot read", "train", "--data", out("missing.cmbdata"), "--model", self.model, "--out", out("o3"))
        self.refused("CUDA was requested but is not available", "train", "--data", self.data, "--model", self.model, "--out", out("o4"), "--device", "cuda")
        self.refused("unrecognized arguments: --nope", "train", "--data", self.data, "--model", self.model, "--out", out("o5"), "--nope")
        self.refused("--batch must be at least 1", "train", "--data", self.data, "--model", self.model, "--out", out("o6"), "--batch", "0")
        self.refused("There is nothing to resume", "train", "--data", self.data, "--model", self.model, "--out", out("o7"), "--resume")
        os.makedirs(out("full"))
        with open(os.path.join(out("full"), "x"), "w") as f:
            f.write("x")
        self.refused("is not empty", "train", "--data", self.data, "--model", self.model, "--out", out("full"))
        self.refused("expected {\"ids\"", "logits", "--model", self.model, "--input", self.data)
        with open(self.data, "rb") as f:
            blob = f.read()
        with open(out("truncated.cmbdata"), "wb") as f:
            f.write(blob[:-10])
        self.refused("is not a valid safetensors file", "train", "--data", out("truncated.cmbdata"), "--model", self.model, "--out", out("o8"))
        # a run killed before its first checkpoint landed leaves only temporary files: a new start is allowed
        os.makedirs(os.path.join(out("o9"), "checkpoint"))
        with open(os.path.join(out("o9"), "checkpoint", "state.pt.123.partial"), "w") as f:
            f.write("x")
        self.refused("CUDA was requested", "train", "--data", self.data, "--model", self.model, "--out", out("o9"), "--device", "cuda")

    def test_an_unexpected_failure_still_ends_with_an_error_event(self):
        with mock.patch("cmb_companion.train.read_training_data", side_effect=ValueError("boom")):
            code, stdout, stderr = run_main("train", "--data", self.data, "--model", self.model, "--out", os.path.join(self.dir, "bug"))
        self.assertEqual(code, 1)
        last = events_of(stdout)[-1]
        self.assertEqual((last["event"], last["code"]), ("error", "internal"))
        self.assertIn("failed unexpectedly (ValueError)", last["message"])
        self.assertIn("Traceback", stderr, "the traceback goes to stderr for a bug report")

    @unittest.skipIf(torch.cuda.is_available(), "CUDA is available here")
    def test_probe_reports_cuda_reason(self):
        r = run_cli("probe")
        info = json.loads(r.stdout)
        self.assertFalse(info["cuda"])
        self.assertTrue(info["cuda_reason"])
        self.assertEqual(info["torch"], torch.__version__)


if __name__ == "__main__":
    unittest.main()
