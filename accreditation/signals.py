"""What accreditation announces to the apps above it, without knowing who listens.

`transition_recorded` is sent inside the transaction that records an AccreditationEvent (every
change of an assessment's status), so a receiver that writes (funding records the recompute it
owes) commits or rolls back with the event itself. See docs/architecture.md.
"""

from django.dispatch import Signal

#: Sent with `assessment` (the locked SelfAssessment) and `event` (the AccreditationEvent).
transition_recorded = Signal()
