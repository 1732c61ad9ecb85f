"""A contract-faithful Accurate Online sandbox that keeps real double-entry books and stock."""
