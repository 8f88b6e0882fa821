"""``python -m infermodel.cli``: the ``infermodel`` command."""

import sys

from infermodel.cli import main

# Guarded: a worker process of a report build (multiprocessing's spawn) imports this
# module as __mp_main__ and must not run the command again.
if __name__ == "__main__":
    sys.exit(main())
