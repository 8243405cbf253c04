"""``python -m microgrid ...`` runs the command line, like the ``microgrid`` script."""

from .cli import main

raise SystemExit(main())
