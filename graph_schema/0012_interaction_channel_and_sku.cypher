// An interaction keeps its channel code and product SKU as properties too, so reading a
// consumer's interactions needs no walk to the Channel and Product nodes (the VIA and ON
// relationships stay, for affinities and a product's audience). Interactions written before
// this migration get them from those relationships.
MATCH (x:Interaction)-[:VIA]->(c:Channel)
WHERE x.channel IS NULL
SET x.channel = c.code;

MATCH (x:Interaction)-[:ON]->(p:Product)
WHERE x.sku IS NULL
SET x.sku = p.sku;
