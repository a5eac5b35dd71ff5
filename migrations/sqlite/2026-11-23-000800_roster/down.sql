DROP TABLE incident_role_holdings;
DROP TABLE roster_entries;
