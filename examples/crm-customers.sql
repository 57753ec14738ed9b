-- A customer table as a CRM might hold it: the rows examples/crm-customers.connection.json exports.
CREATE TABLE customers (
  id          bigint PRIMARY KEY,
  email       text,
  first_name  text,
  last_name   text,
  city        text,
  country     text,
  plan        text,
  lists       text[] NOT NULL DEFAULT '{}',
  newsletter_opt_in boolean NOT NULL DEFAULT false,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_updated_at ON customers (updated_at);

INSERT INTO customers (id, email, first_name, last_name, city, country, plan, lists, newsletter_opt_in) VALUES
  (1001, 'ada.lovelace@example.com', 'Ada', 'Lovelace', 'Lyon', 'FR', 'pro', '{newsletter,vip}', true),
  (1002, 'bob.martin@example.com', 'Bob', 'Martin', 'Brussels', 'BE', 'free', '{newsletter}', true),
  (1003, 'cyril.dupont@example.com', 'Cyril', 'Dupont', 'Nantes', 'FR', 'free', '{newsletter}', true),
  (1004, 'dana.weiss@example.com', 'Dana', 'Weiss', 'Berlin', 'DE', 'pro', '{newsletter}', true),
  (1005, 'eva.moreau@example.com', 'Eva', 'Moreau', 'Lille', 'FR', 'free', '{newsletter}', false),
  (1006, 'farid.haddad@example.com', 'Farid', 'Haddad', 'Liège', 'BE', 'pro', '{}', true),
  (1007, NULL, 'Gus', 'Leroy', 'Paris', 'FR', 'free', '{newsletter}', true);
