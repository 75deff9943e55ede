"""Shared core: configuration, database, translation, safe text and report building blocks.

Used by the three feature packages (`qaf`, `supervision`, `checklists`). Nothing here imports Streamlit.
"""
