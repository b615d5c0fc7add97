DROP TABLE storefront_version;
