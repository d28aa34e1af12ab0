"""The services catalogue: database models, loading, queries and search."""
