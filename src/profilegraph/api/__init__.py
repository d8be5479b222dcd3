"""The GraphQL layer: maps requests onto services and results onto types, nothing more."""
