"""Deterministic generator of dirty raw exports with a planted truth (see ``custseg.generate``)."""

from custseg.generator.core import Options, generate

__all__ = ["Options", "generate"]
