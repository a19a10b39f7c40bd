"""Copy the pinned npm packages' dist files (node_modules, from `npm ci`) into static/vendor.

What is copied where is listed once, in geo.maps.assets.COPIES. Run by scripts/setup.sh.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.maps.assets import COPIES, VENDOR_DIR  # noqa: E402
from geo.settings import PROJECT_ROOT  # noqa: E402


def main() -> int:
    modules = PROJECT_ROOT / "node_modules"
    if not modules.is_dir():
        print("node_modules missing: run `npm ci` first", file=sys.stderr)
        return 1
    missing = [src for src, _ in COPIES if not (modules / src).exists()]
    if missing:
        print("not in node_modules (package.json out of date?): " + ", ".join(missing), file=sys.stderr)
        return 1
    if VENDOR_DIR.exists():
        shutil.rmtree(VENDOR_DIR)
    for src, dest in COPIES:
        source, target = modules / src, VENDOR_DIR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    size = sum(f.stat().st_size for f in VENDOR_DIR.rglob("*") if f.is_file())
    print(f"static/vendor: {len(COPIES)} entries, {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
