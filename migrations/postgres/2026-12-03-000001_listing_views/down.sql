DROP INDEX link_clicks_day;
DROP TABLE listing_views;
