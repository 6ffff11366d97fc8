"""``python -m bot``: the Sitrep command line."""

from bot.cli import main

raise SystemExit(main())
