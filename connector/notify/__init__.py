"""Telling: customer messages, the delay flow, consolation codes, pile-up alerts."""
