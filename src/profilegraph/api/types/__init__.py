"""The GraphQL types: read models and payloads as the API serves them."""
