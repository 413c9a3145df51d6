"""``python -m learnet``: the same as the ``learnet`` command."""

import sys

from learnet.cli import main

sys.exit(main())
