"""The network layer imports with torch only (docs/architecture.md)."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("pandas", "pytorch_lightning", "lightning", "sklearn")


def test_importing_acmix_ts_nn_loads_no_higher_layer():
    code = (
        "import json, sys; import acmix_ts.nn; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{FORBIDDEN!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
