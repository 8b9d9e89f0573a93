"""Opt-out activation: consent to have a record at all (R1111-28).

A record is created for every insured person (cohort imports), a campaign
informs them by email or letter, and the record opens six weeks later unless
they oppose; they may open it earlier, online or through the support service.
A Django app of its own (label ``optout``) inside ``consent``.
"""
