"""Versioned prompt files (`<name>_v<N>.txt`); a package so they ship as package data."""
