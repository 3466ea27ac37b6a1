"""``python -m kegru`` runs the command line."""

import sys

from kegru.cli import main

sys.exit(main())
