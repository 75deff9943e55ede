"""Management use cases: each takes an open session and the person, and returns plain values."""
