"""A host application that mounts the forum, for the plugin and wheel tests."""
