"""Use cases that join Ginee, posting, Accurate and the Ledger: converge_order, settle, reconcile …"""
