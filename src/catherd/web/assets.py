"""What the dashboard's pages load besides themselves: the script that draws their charts.

Nothing comes from a CDN, so the dashboard works offline. ``scripts/charts.js`` is bundled
with Vega, Vega-Lite and vega-embed by vl-convert (the package that renders the reports'
SVG, so both draw with the same library versions) once per process, and served under an
address naming those versions and the script's own hash, which browsers may cache for good.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import vl_convert

_SCRIPT = (Path(__file__).parent / "scripts" / "charts.js").read_text(encoding="utf-8")
CHARTS_URL = (
    f"/assets/charts-vega{vl_convert.get_vega_version()}"
    f"-embed{vl_convert.get_vega_embed_version()}"
    f"-{hashlib.sha256(_SCRIPT.encode()).hexdigest()[:10]}.js"
)
_lock = threading.Lock()
_bundle: bytes | None = None


def charts_bundle() -> bytes:
    """The chart script with its libraries (about 900 kB; built once, in a second or two)."""
    global _bundle
    with _lock:
        if _bundle is None:
            _bundle = vl_convert.javascript_bundle(_SCRIPT).encode()
        return _bundle


def build_in_background() -> None:
    """Build the bundle now, off the request path, so the first chart does not wait."""
    threading.Thread(target=charts_bundle, name="charts-bundle", daemon=True).start()
