"""Report building blocks shared by every package: PDF styles and page furniture, spreadsheet helpers."""
