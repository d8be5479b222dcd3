// Uniqueness of every natural key of the graph model (DESIGN §2).
// Each constraint also gives its property an index, so key lookups are direct.
CREATE CONSTRAINT schema_migration_version IF NOT EXISTS
FOR (m:SchemaMigration) REQUIRE m.version IS UNIQUE;

CREATE CONSTRAINT identifier_key IF NOT EXISTS
FOR (i:Identifier) REQUIRE i.key IS UNIQUE;

CREATE CONSTRAINT person_one_id IF NOT EXISTS
FOR (p:Person) REQUIRE p.one_id IS UNIQUE;

CREATE CONSTRAINT order_order_id IF NOT EXISTS
FOR (o:Order) REQUIRE o.order_id IS UNIQUE;

CREATE CONSTRAINT product_sku IF NOT EXISTS
FOR (p:Product) REQUIRE p.sku IS UNIQUE;

CREATE CONSTRAINT content_content_id IF NOT EXISTS
FOR (c:Content) REQUIRE c.content_id IS UNIQUE;

CREATE CONSTRAINT channel_code IF NOT EXISTS
FOR (c:Channel) REQUIRE c.code IS UNIQUE;

CREATE CONSTRAINT interaction_event_id IF NOT EXISTS
FOR (i:Interaction) REQUIRE i.event_id IS UNIQUE;

// Every ingested event id is recorded once, which makes replays change nothing.
CREATE CONSTRAINT processed_event_id IF NOT EXISTS
FOR (e:ProcessedEvent) REQUIRE e.event_id IS UNIQUE;

// A tag definition is unique per object type and name; `key` is "<object_type>:<name>".
CREATE CONSTRAINT tag_def_key IF NOT EXISTS
FOR (t:TagDef) REQUIRE t.key IS UNIQUE;

CREATE CONSTRAINT audit_entry_id IF NOT EXISTS
FOR (a:AuditEntry) REQUIRE a.audit_id IS UNIQUE;
