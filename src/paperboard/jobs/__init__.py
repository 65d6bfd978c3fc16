"""Background work: syncing live sources, keeping indexes in step."""
