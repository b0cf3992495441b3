"""Entry point for `python -m mlbackend` (pure core; no Django is imported)."""

import sys

from mlbackend.cli import main

sys.exit(main())
