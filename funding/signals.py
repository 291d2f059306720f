"""What funding announces to the apps above it, without knowing who listens.

`ledger_changed` is sent inside the transaction that appends entries to the ledger
(`funding.ledger`), once per batch of entries, so a receiver can act when that transaction
commits (reporting warms the dashboard's figures then:
docs/adr/0024-figures-warmed-after-commit.md). A run of many batches, each its own transaction
(`releases_recompute --all`, a reconcile's repairs), sends it once at the end instead, after
its last commit (`funding.ledger.ledger_changes_announced_once`).
"""

from django.dispatch import Signal

#: Sent with `allocation_ids` (the allocations whose ledger grew).
ledger_changed = Signal()
