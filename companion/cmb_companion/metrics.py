"""Evaluation figures with the engine's semantics (src/engine/train/metrics.ts), checked by both
sides against the shared cases in test/fixtures/metrics/cases.json.

Entities: seqeval's strict mode over IOB2 (`classification_report(mode="strict", scheme=IOB2)`).
An entity is a B-X followed by any number of I-X; it ends at the first tag that is not I-X.
An I-X that does not continue an open X entity (after O, after another type, at the start)
begins nothing and is not an entity. A predicted entity counts only when type, start and end
all equal a true one in the same sequence. Per type: precision = correct / predicted,
recall = correct / true, F1 their harmonic mean, support = true entities; any 0/0 is 0.
Micro: the same over all types' counts pooled. Macro: the unweighted mean of the per-type
precision, recall and F1 over the types that occur in the truth or the predictions.
Token accuracy: equal tags / all tags (O included).

Classification: accuracy; per class precision, recall, F1 and support (0/0 is 0), reported for
every label; macro precision/recall/F1 average the classes that occur in the truth or the
predictions (scikit-learn's default); the confusion matrix has rows = true, columns =
predicted, in id2label order; AUROC only with exactly two labels, scoring the second label's
probability (ties count one half, as in the Mann-Whitney statistic), and null when the truth has
only one class.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set, Tuple


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _parse(tag: str) -> Tuple[str, str]:
    if tag == "O":
        return "O", ""
    if len(tag) > 2 and tag[:2] in ("B-", "I-"):
        return tag[0], tag[2:]
    raise ValueError(f"\"{tag}\" is not an IOB2 tag")


def iob2_entities(tags: Sequence[str]) -> List[Tuple[str, int, int]]:
    """(type, start, end) with end exclusive, by seqeval's strict IOB2 rules."""
    parsed = [_parse(t) for t in tags]
    out: List[Tuple[str, int, int]] = []
    i = 0
    while i < len(parsed):
        prefix, typ = parsed[i]
        if prefix != "B":
            i += 1
            continue
        j = i + 1
        while j < len(parsed) and parsed[j] == ("I", typ):
            j += 1
        out.append((typ, i, j))
        i = j
    return out


def entity_metrics(true_seqs: Sequence[Sequence[str]], pred_seqs: Sequence[Sequence[str]]) -> Dict[str, object]:
    if len(true_seqs) != len(pred_seqs):
        raise ValueError("true and predicted sequences differ in number")
    true_set: Set[Tuple[int, str, int, int]] = set()
    pred_set: Set[Tuple[int, str, int, int]] = set()
    tokens = correct_tokens = 0
    for k, (t, p) in enumerate(zip(true_seqs, pred_seqs)):
        if len(t) != len(p):
            raise ValueError(f"sequence {k}: {len(t)} true tags but {len(p)} predicted")
        true_set.update((k, *e) for e in iob2_entities(t))
        pred_set.update((k, *e) for e in iob2_entities(p))
        tokens += len(t)
        correct_tokens += sum(1 for a, b in zip(t, p) if a == b)
    types = sorted({e[1] for e in true_set} | {e[1] for e in pred_set})
    per: Dict[str, Dict[str, float]] = {}
    hit = true_set & pred_set
    for typ in types:
        n_true = sum(1 for e in true_set if e[1] == typ)
        n_pred = sum(1 for e in pred_set if e[1] == typ)
        n_hit = sum(1 for e in hit if e[1] == typ)
        p, r = _ratio(n_hit, n_pred), _ratio(n_hit, n_true)
        per[typ] = {"precision": p, "recall": r, "f1": _f1(p, r), "support": n_true}
    p, r = _ratio(len(hit), len(pred_set)), _ratio(len(hit), len(true_set))
    macro = {k: (sum(v[k] for v in per.values()) / len(per) if per else 0.0) for k in ("precision", "recall", "f1")}
    return {
        "per_label": per,
        "micro": {"precision": p, "recall": r, "f1": _f1(p, r), "support": len(true_set)},
        "macro": {**macro, "support": len(true_set)},
        "token_accuracy": _ratio(correct_tokens, tokens),
    }


def auroc(positive: Sequence[bool], scores: Sequence[float]) -> Optional[float]:
    """Probability that a random positive outscores a random negative; ties count one half."""
    pos = [s for s, y in zip(scores, positive) if y]
    neg = [s for s, y in zip(scores, positive) if not y]
    if not pos or not neg:
        return None
    # rank-based, O(n log n): average ranks for ties (Mann-Whitney U)
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, positive) if y)
    u = rank_sum - len(pos) * (len(pos) + 1) / 2
    return u / (len(pos) * len(neg))


def classification_metrics(labels: Sequence[str], true: Sequence[int], pred: Sequence[int],
                           probabilities: Optional[Sequence[Sequence[float]]] = None) -> Dict[str, object]:
    """`true` and `pred` are label ids; `probabilities` one row per example in id2label order."""
    n = len(labels)
    confusion = [[0] * n for _ in range(n)]
    for t, p in zip(true, pred):
        confusion[t][p] += 1
    per: Dict[str, Dict[str, float]] = {}
    present = []
    for c, name in enumerate(labels):
        tp = confusion[c][c]
        support = sum(confusion[c])
        predicted = sum(confusion[r][c] for r in range(n))
        p, r = _ratio(tp, predicted), _ratio(tp, support)
        per[name] = {"precision": p, "recall": r, "f1": _f1(p, r), "support": support}
        if support or predicted:
            present.append(name)
    macro = {k: (sum(per[c][k] for c in present) / len(present) if present else 0.0) for k in ("precision", "recall", "f1")}
    result: Dict[str, object] = {
        "accuracy": _ratio(sum(confusion[c][c] for c in range(n)), len(true)),
        "macro_f1": macro["f1"],
        "macro": macro,
        "per_class": per,
        "confusion": confusion,
        "auroc": None,
        "support": len(true),
    }
    if n == 2 and probabilities is not None:
        result["auroc"] = auroc([t == 1 for t in true], [row[1] for row in probabilities])
    return result
