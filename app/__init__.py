"""The top of the application: start-up wiring (every model known, the database migrated and seeded, the
features' hooks registered), the menu assembled from each feature's pages, the example data, and the
command line (``python -m app``). Nothing imports this package except the entry point and the tests."""
