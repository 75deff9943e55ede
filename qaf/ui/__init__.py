"""Streamlit pages of the QAF workshop. Pages gather input, call a service and show the result."""
