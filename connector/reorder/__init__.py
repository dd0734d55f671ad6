"""Reorder advice from the shop's own sales history (issue 15 item 2): the history read and the daily
fold (``history.py``), the advice per SKU (``advice.py``, rules in connector/domain/reorder.py), the
report (``cli.py``) and its settings (``settings.py``). docs/reorder.md."""
