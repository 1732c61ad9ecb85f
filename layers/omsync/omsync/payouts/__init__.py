"""Marketplace payouts: what a settlement file says the marketplace paid, per order, with its fees."""
