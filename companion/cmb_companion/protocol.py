"""The progress protocol: one JSON object per line on stdout, nothing else there (companion/README.md).

Events: info, step, eval, checkpoint, done, stopped, error. Floats that are not finite become
null, so every line is valid JSON for the extension's reader.
"""
from __future__ import annotations

import json
import math
import sys
from typing import Any, Callable, Dict, TextIO


def _finite(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


class Events:
    def __init__(self, stream: TextIO = sys.stdout, sink: Callable[[Dict[str, Any]], None] = None):
        self.stream = stream
        self.sink = sink

    def emit(self, event: str, **fields: Any) -> None:
        record = {"event": event, **_finite(fields)}
        if self.sink is not None:
            self.sink(record)
        if self.stream is not None:
            self.stream.write(json.dumps(record, separators=(",", ":")) + "\n")
            self.stream.flush()
