DROP TABLE indexed_changes;
