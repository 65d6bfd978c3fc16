"""Operations: what operators' commands do beyond calling one service. Checking and repairing
derived state (check/), counts (stats), backing up the embedded database (backup), copying it
to PostgreSQL (copy_to), writing an export file (export), previewing a digest (digest_preview)."""
