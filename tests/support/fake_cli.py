"""``docqa`` with the fake embedder registered: ``python -m tests.support.fake_cli ARGS``."""

from __future__ import annotations

import sys

from tests.support.fakes import register
from ui.cli import main

if __name__ == "__main__":
    register()
    sys.exit(main())
