"""Values written into inline <script> blocks."""

from __future__ import annotations

import json


def js_literal(value) -> str:
    """JSON that is safe inside <script>: no "</script>", "<!--" or line separators can break out."""
    return (
        json.dumps(value, ensure_ascii=False, default=str)
        .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )
