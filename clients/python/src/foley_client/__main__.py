"""`python -m foley_client ...` runs the command-line interface."""

import sys

from .cli import main

sys.exit(main())
