"""Imports every feature's CLI module so its commands register on `connector`.

Each feature owns one module (connector/cli_<feature>.py) that does
``from connector.cli import main`` and adds its commands or groups; add one import line here.
"""

from connector import (
    cli_dropship,  # noqa: E402, F401
    cli_install,  # noqa: E402, F401
    cli_jobs,  # noqa: E402, F401
    cli_notify,  # noqa: E402, F401
    cli_scopes,  # noqa: E402, F401
    cli_shop_settings,  # noqa: E402, F401
    cli_supply,  # noqa: E402, F401
)
