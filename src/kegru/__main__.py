"""``python -m kegru`` runs the command line."""

import sys

from kegru.cli.main import main

sys.exit(main())
