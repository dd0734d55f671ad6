"""A real SFTP server on loopback for tests: paramiko's server side serving one directory.

Password auth (user/password given), read-only access to ``root``. ``stop()`` closes everything.
``port`` and ``host_key`` let a test restart "the same server" with a new key; ``auth_attempts``
counts the logins tried (a client that refuses the host key must try none).
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

import paramiko
from paramiko import SFTPAttributes, SFTPHandle, SFTPServer, SFTPServerInterface
from paramiko.sftp import SFTP_NO_SUCH_FILE, SFTP_OK, SFTP_PERMISSION_DENIED


class _Server(paramiko.ServerInterface):
    def __init__(self, username: str, password: str, attempts: list[str]) -> None:
        self.username, self.password = username, password
        self.attempts = attempts

    def check_auth_password(self, username: str, password: str) -> int:
        self.attempts.append(username)
        ok = username == self.username and password == self.password
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _Handle(SFTPHandle):
    pass


def _sftp_interface(root: Path) -> type[SFTPServerInterface]:
    class Interface(SFTPServerInterface):
        def _real(self, path: str) -> Path:
            real = (root / path.lstrip("/")).resolve()
            if root.resolve() not in (real, *real.parents):
                raise PermissionError(path)
            return real

        def stat(self, path: str) -> Any:
            try:
                return SFTPAttributes.from_stat(os.stat(self._real(path)))
            except FileNotFoundError:
                return SFTP_NO_SUCH_FILE
            except PermissionError:
                return SFTP_PERMISSION_DENIED

        lstat = stat

        def list_folder(self, path: str) -> Any:
            real = self._real(path)
            out = []
            for name in os.listdir(real):
                attr = SFTPAttributes.from_stat(os.stat(real / name))
                attr.filename = name
                out.append(attr)
            return out

        def open(self, path: str, flags: int, attr: Any) -> Any:
            if flags & (os.O_WRONLY | os.O_RDWR):
                return SFTP_PERMISSION_DENIED
            try:
                handle = _Handle(flags)
                handle.readfile = open(self._real(path), "rb")  # noqa: SIM115 - closed by paramiko
                return handle
            except FileNotFoundError:
                return SFTP_NO_SUCH_FILE
            except PermissionError:
                return SFTP_PERMISSION_DENIED

        def canonicalize(self, path: str) -> str:
            return "/" + path.lstrip("/")

    return Interface


class SftpServer:
    def __init__(self, root: Path, username: str = "feeds", password: str = "s3cret", *, port: int = 0,
                 host_key: paramiko.PKey | None = None) -> None:
        self.root, self.username, self.password = root, username, password
        self.host_key = host_key or paramiko.RSAKey.generate(2048)
        self.auth_attempts: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self._transports: list[paramiko.Transport] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="sftp-server")
        self._thread.start()

    @property
    def host_key_line(self) -> str:
        return f"{self.host_key.get_name()} {self.host_key.get_base64()}"

    def url(self, path: str) -> str:
        return f"sftp://{self.username}@127.0.0.1:{self.port}/{path.lstrip('/')}"

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            transport = paramiko.Transport(client)
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler("sftp", SFTPServer, _sftp_interface(self.root))
            self._transports.append(transport)
            try:
                transport.start_server(server=_Server(self.username, self.password, self.auth_attempts))
            except (paramiko.SSHException, EOFError, OSError):
                continue

    def stop(self) -> None:
        self._stopped.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone leaves the port bound)
        except OSError:
            pass
        self.sock.close()
        for transport in self._transports:
            transport.close()
        self._thread.join(timeout=5)


__all__ = ["SftpServer", "SFTP_OK"]
