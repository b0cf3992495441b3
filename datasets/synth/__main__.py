from __future__ import annotations

import sys

from datasets.synth.cli import main

sys.exit(main())
