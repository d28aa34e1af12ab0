"""Command line: python -m bot catalog load|export, nlu build, train ..."""
from bot.cli import main

raise SystemExit(main())
