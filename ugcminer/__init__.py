"""ugcminer: brand mentions on Reddit and YouTube turned into work for a content team."""

__version__ = "0.1.0"
