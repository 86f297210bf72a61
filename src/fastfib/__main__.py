"""``python -m fastfib N [--mod M] [--lucas]``."""

import sys

from fastfib.cli import main

sys.exit(main())
