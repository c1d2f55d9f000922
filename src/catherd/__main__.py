"""``python -m catherd``: the same as the ``catherd`` command."""

from catherd.cli.main import app

app()
