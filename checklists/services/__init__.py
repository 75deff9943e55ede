"""Case file review use cases. Each takes an open session (one transaction) and returns plain values; pages never
touch ORM objects. Grouped by use case: ``case_files``, ``imports``, ``reviews``, ``sampling``, ``templates``
(checklists and review settings) and ``trends``; access rules in ``access``."""
