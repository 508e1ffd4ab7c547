-- Signals a saga received from outside (§17 billing triggers): `customer-accepted` from the
-- channel, `first-usage` from charging, each with when it came: {"customer-accepted": "<iso>"}.
ALTER TABLE saga ADD COLUMN signals jsonb;
