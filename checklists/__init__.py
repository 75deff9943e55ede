"""Monthly case file reviews: pseudonymous case files, computed timeliness, the case file checklist, sampling,
feedback and trends."""
