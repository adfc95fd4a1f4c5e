"""Revisions of the issuer's database, oldest first; written by hand, checked against the models."""
