"""Accounts, roles and the person acting (``Actor``)."""
