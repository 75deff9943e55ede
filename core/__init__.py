"""The base every package stands on: configuration, the database engine and unit of work, the base model and its
mixins, the acting person and roles, the audit trail, translation, safe text, report building blocks.

It imports no other package of the project (enforced by ``.importlinter``). Only ``core.ui`` imports Streamlit:
the helpers every page uses."""
