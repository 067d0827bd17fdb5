"""`python -m cleaner.check FILES...`: the pre-commit hook's entry."""

from __future__ import annotations

import sys

from cleaner.check.command import main

sys.exit(main())
