"""Allow `python -m searchsvc`."""

from .cli import main

main()
