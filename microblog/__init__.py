"""microblog: a microblog server with interchangeable home-timeline feed strategies."""

__version__ = "0.1.0"
