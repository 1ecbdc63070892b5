"""stagelift: golden paths for Backstage on AWS."""

__version__ = "0.1.0"
