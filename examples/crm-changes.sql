-- The CRM changes after the first run of examples/crm-customers.connection.json (docs/sources.md): Ada moves to
-- Paris, Cyril opts out, Farid joins the newsletter list and Bob's row is deleted.
UPDATE customers SET city = 'Paris', updated_at = now() WHERE id = 1001;
UPDATE customers SET newsletter_opt_in = false, updated_at = now() WHERE id = 1003;
UPDATE customers SET lists = '{newsletter}', updated_at = now() WHERE id = 1006;
DELETE FROM customers WHERE id = 1002;
