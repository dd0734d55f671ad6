"""Where job functions find the composition root.

The in-process queue binds the app's container; an RQ worker process binds one it builds
from the environment the first time a job needs it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connector.bootstrap import Container

_lock = threading.Lock()
_container: Container | None = None


def bind(container: Container | None) -> None:
    global _container
    with _lock:
        _container = container


def container() -> Container:
    global _container
    with _lock:
        if _container is None:
            from connector.bootstrap import bootstrap

            _container = bootstrap()
        return _container
