"""``python -m scalewarden.cli``: the same command line as the ``scalewarden`` script."""

from scalewarden.cli import main

main()
