DROP TABLE site_secrets;
DROP TABLE subscriber_components;
DROP TABLE subscribers;
