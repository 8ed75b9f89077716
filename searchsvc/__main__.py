"""Allow `python -m searchsvc`."""

from searchsvc.cli import main

main()
