-- The silo (or client) to tell when the message completes; null for a call made inside the
-- silo that processes it.
ALTER TABLE inbox ADD COLUMN reply_to TEXT;
