"""Running the WooCommerce plugin (extensions/woocommerce/backorder-connector) on the PHP CLI, with the
WordPress stand-ins of tests/support/wordpress.php, and a store customer's data for its privacy tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, unavailable

PLUGIN = ROOT / "extensions" / "woocommerce" / "backorder-connector"
MAIN = PLUGIN / "backorder-connector.php"
STUBS = Path(__file__).with_name("wordpress.php")


def php_binary() -> str:
    php = shutil.which("php")
    if php is None:
        unavailable("the PHP CLI is not installed (apt-get install php-cli; .ci/run installs it)")
    return php  # type: ignore[return-value]


def run_plugin(tmp_path: Path, body: str, *, setup: str = "", load: bool = True) -> Any:
    """Run ``body`` (PHP that sets ``$out``) after the stand-ins, ``setup`` and (``load``) the plugin;
    the JSON of ``$out``. PHP warnings and notices fail the run."""
    script = tmp_path / "case.php"
    loading = f"wp_test_load_plugin({json.dumps(str(MAIN))});" if load else ""
    script.write_text(f"<?php\nrequire {json.dumps(str(STUBS))};\n{setup}\n{loading}\n$out = null;\n{body}\n"
                      "echo json_encode($out);\n")
    run = subprocess.run([php_binary(), "-d", "display_errors=stderr", "-d", "error_reporting=-1", str(script)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and not run.stderr, run.stdout + run.stderr
    return json.loads(run.stdout)
