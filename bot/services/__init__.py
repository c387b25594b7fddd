"""Use cases. Each public method is one unit of work: check, change, queue messages, commit."""
