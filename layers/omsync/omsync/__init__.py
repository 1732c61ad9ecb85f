"""omsync: keeps Accurate Online's books true to what happened in Ginee OMS, per store."""

__version__ = "0.1.0"
