"""Host keys as OpenSSH shows them: parsed from a public key line or a fingerprint, compared by fingerprint."""

from __future__ import annotations

import paramiko
import pytest

from connector.domain.errors import ConfigError
from connector.domain.host_key import HostKey

KEY = paramiko.ECDSAKey.generate()
LINE = f"{KEY.get_name()} {KEY.get_base64()} feeds@supplier"


def test_a_public_key_line_gives_the_same_sha256_fingerprint_as_openssh_and_paramiko() -> None:
    key = HostKey.parse(LINE)
    assert key == HostKey(KEY.fingerprint, "ecdsa-sha2-nistp256")
    assert str(key) == f"ecdsa-sha2-nistp256 {KEY.fingerprint}"


def test_a_fingerprint_alone_or_with_its_type_is_accepted() -> None:
    assert HostKey.parse(KEY.fingerprint) == HostKey(KEY.fingerprint)
    assert HostKey.parse(f"ssh-ed25519 {KEY.fingerprint}") == HostKey(KEY.fingerprint, "ssh-ed25519")


def test_keys_match_by_fingerprint_whatever_type_was_written_down() -> None:
    other = paramiko.ECDSAKey.generate()
    assert HostKey.parse(LINE).matches(HostKey(KEY.fingerprint))
    assert not HostKey.parse(LINE).matches(HostKey(other.fingerprint, "ecdsa-sha2-nistp256"))


@pytest.mark.parametrize("text", ["", "ssh-rsa", "ssh-rsa not-base64!", f"ssh-rsa {KEY.get_base64()}",
                                  "SHA256:short", "MD5:aa:bb"])
def test_anything_else_is_refused_naming_the_host_key_setting(text: str) -> None:
    with pytest.raises(ConfigError, match="host_key"):
        HostKey.parse(text)
