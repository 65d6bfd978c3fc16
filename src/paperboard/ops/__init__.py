"""Operations: backing up the embedded database and moving it to PostgreSQL."""
