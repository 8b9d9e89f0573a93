"""Writes of the opt-out activation, one module per concern: ``cohorts`` (imports of
insured persons), ``campaigns`` (issuing and sending the notices), ``outcomes``
(opposition, early opening, opening after the delay) and ``returns``
(undelivered emails and letters)."""
