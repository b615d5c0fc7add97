DROP TABLE listing_cards;
