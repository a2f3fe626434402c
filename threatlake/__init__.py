"""Threatlake: self-hosted threat observability for GuardDuty and Security Hub findings."""

__version__ = "0.1.0"
