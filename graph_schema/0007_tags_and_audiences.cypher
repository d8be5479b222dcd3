// Tag values: one per tag and object, found by key when set again and by tag for audiences.
CREATE CONSTRAINT tag_value_key IF NOT EXISTS
FOR (v:TagValue) REQUIRE v.key IS UNIQUE;

CREATE INDEX tag_value_tag IF NOT EXISTS
FOR (v:TagValue) ON (v.tag);

// Saved audiences.
CREATE CONSTRAINT audience_id IF NOT EXISTS
FOR (a:Audience) REQUIRE a.audience_id IS UNIQUE;

// What affinities and channel reach start from.
CREATE INDEX product_category IF NOT EXISTS
FOR (p:Product) ON (p.category);

CREATE INDEX product_brand IF NOT EXISTS
FOR (p:Product) ON (p.brand);

CREATE INDEX content_topic IF NOT EXISTS
FOR (c:Content) ON (c.topic);

CREATE INDEX order_channel IF NOT EXISTS
FOR (o:Order) ON (o.channel);
