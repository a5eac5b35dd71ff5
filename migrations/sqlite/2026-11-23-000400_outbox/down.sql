DROP TABLE deliveries;
DROP TABLE notifications;
