DROP TABLE phase_templates;
DROP TABLE phase_template_sets;
DROP TABLE incident_updates;
DROP TABLE incident_components;
DROP TABLE incidents;
