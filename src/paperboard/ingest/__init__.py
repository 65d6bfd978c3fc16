"""Sources parse into records (no database writes); one loader upserts them."""
