"""The Quality Assessment Framework: framework content, assessments, levels and action plans."""
