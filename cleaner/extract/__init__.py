"""HTML -> Article: trafilatura for the text, then metadata and the clutter rules."""
