// API keys for pipelines: only a hash of each key's secret is kept.
CREATE CONSTRAINT api_key_id IF NOT EXISTS
FOR (k:ApiKey) REQUIRE k.key_id IS UNIQUE;
