"""What every live (cloud API) adapter shares: coverage as data, and failed calls as values."""
