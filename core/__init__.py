"""The bottom layer: the project's error type and the small helpers every other layer shares."""
