"""Streamlit pages for staff and teams."""
