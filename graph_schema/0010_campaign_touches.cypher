// Campaign touches (sent, delivered, opened, clicked, converted) and the campaigns they belong to.
CREATE CONSTRAINT touch_event_id IF NOT EXISTS
FOR (x:Touch) REQUIRE x.event_id IS UNIQUE;

CREATE CONSTRAINT campaign_id IF NOT EXISTS
FOR (c:Campaign) REQUIRE c.campaign_id IS UNIQUE;
