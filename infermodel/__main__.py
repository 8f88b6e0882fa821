"""``python -m infermodel``: the ``infermodel`` command."""

import sys

from infermodel.cli import main

sys.exit(main())
