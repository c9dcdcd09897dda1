"""The forum's domain: services take a session and plain values, and never commit."""
