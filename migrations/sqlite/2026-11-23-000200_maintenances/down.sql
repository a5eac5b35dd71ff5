DROP TABLE maintenance_updates;
DROP TABLE maintenance_components;
DROP TABLE maintenances;
