"""All SQL lives here: tables, migrations, and the repositories the rest of the code calls."""
