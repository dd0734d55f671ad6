"""Shared test helpers: payload builders, fakes for ports, stacks on loopback, SMTP and SFTP servers."""
