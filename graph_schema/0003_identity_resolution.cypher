// Conflicts found by OneID resolution: one per refused identifier pair.
CREATE CONSTRAINT conflict_id IF NOT EXISTS
FOR (c:Conflict) REQUIRE c.conflict_id IS UNIQUE;

CREATE INDEX conflict_a IF NOT EXISTS
FOR (c:Conflict) ON (c.a);

CREATE INDEX conflict_status IF NOT EXISTS
FOR (c:Conflict) ON (c.status);

CREATE INDEX person_status IF NOT EXISTS
FOR (p:Person) ON (p.status);
