"""The test suite: a package, so that every helper module imports one way (`tests.<module>`) and loads once."""
