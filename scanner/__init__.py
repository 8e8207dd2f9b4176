"""offshore-scan: find DWP data and systems hosted, copied or reachable outside the UK."""

__version__ = "0.1.0"
