"""CCMS-Graph: graph-backed case management and link analysis for criminal investigations."""

__version__ = "0.1.0"
