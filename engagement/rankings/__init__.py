"""rankings."""
