"""normalize playground."""
