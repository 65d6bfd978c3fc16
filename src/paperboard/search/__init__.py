"""Search: the keyword index (tantivy on the embedded default, tsvector on PostgreSQL)."""
