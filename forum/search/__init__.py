"""Full-text search: the forum's own query syntax, and the index each database keeps of what can be found."""
