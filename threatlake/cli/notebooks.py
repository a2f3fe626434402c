"""``threatlake notebooks import FILE | export ID | list``: notebooks in the commercial document format.

The same command as ``threatlake dashboards`` (``cli/dashboards.py``), for notebooks.
"""

from __future__ import annotations

from threatlake.cli.dashboards import make_command

__all__ = ["HELP", "configure", "run"]

_COMMAND = make_command("notebook", "notebooks")
HELP = _COMMAND.help
configure = _COMMAND.configure
run = _COMMAND.run
