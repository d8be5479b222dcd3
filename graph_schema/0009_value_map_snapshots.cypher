// The value map as it stood on a date: appended, never changed, read as a series by date.
CREATE CONSTRAINT value_map_snapshot_id IF NOT EXISTS
FOR (s:ValueMapSnapshot) REQUIRE s.snapshot_id IS UNIQUE;

CREATE INDEX value_map_snapshot_as_of IF NOT EXISTS
FOR (s:ValueMapSnapshot) ON (s.as_of);
