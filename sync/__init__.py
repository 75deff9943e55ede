"""Sync between replicas of one programme: a country server and the laptops that work offline."""
