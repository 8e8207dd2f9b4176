"""Policy definitions (YAML, reviewed by auditors) and the Python checks they name."""
