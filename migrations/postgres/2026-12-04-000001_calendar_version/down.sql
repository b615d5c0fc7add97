DROP TABLE calendar_version;
