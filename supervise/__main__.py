"""``python -m supervise``."""

import sys

from supervise.cli.main import main

sys.exit(main())
