"""`python -m absreader` runs the command line."""

from absreader.cli import main

raise SystemExit(main())
