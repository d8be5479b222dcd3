// Console sign-in links: each ticket is redeemed once, whichever service process gets it.
CREATE CONSTRAINT sign_in_ticket_id IF NOT EXISTS
FOR (t:SignInTicket) REQUIRE t.ticket_id IS UNIQUE;
