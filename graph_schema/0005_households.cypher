// Households: a shared family device and the OneIDs of the people who use it.
CREATE CONSTRAINT household_id IF NOT EXISTS
FOR (h:Household) REQUIRE h.household_id IS UNIQUE;
