-- The catalogue: places, categories, cooperatives, accounts, listings and what hangs off them.

CREATE TABLE categories (
    code TEXT PRIMARY KEY NOT NULL,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE places (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('province', 'district', 'commune')),
    parent_code TEXT REFERENCES places(code),
    -- "/TQ/TQ-NH/TQ-NH-HT/": a place and everything under it share a prefix.
    path TEXT NOT NULL,
    lat DOUBLE NOT NULL,
    lng DOUBLE NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    skip_review BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX places_path ON places(path);

CREATE TABLE cooperatives (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    place_code TEXT NOT NULL REFERENCES places(code),
    phone TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    cooperative_id BIGINT REFERENCES cooperatives(id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE listings (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('product', 'experience', 'event')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'published', 'archived')),
    name_vi TEXT NOT NULL,
    name_en TEXT,
    description_vi TEXT NOT NULL,
    description_en TEXT,
    category_code TEXT NOT NULL REFERENCES categories(code),
    place_code TEXT NOT NULL REFERENCES places(code),
    cooperative_id BIGINT NOT NULL REFERENCES cooperatives(id),
    price_vnd BIGINT,
    unit TEXT,
    ocop_stars SMALLINT,
    ocop_certificate TEXT,
    ocop_expires DATE,
    -- bit m (1..=12) set when the listing is in season in month m.
    season_mask INTEGER NOT NULL DEFAULT 0,
    event_start DATE,
    event_end DATE,
    recurs_yearly BOOLEAN NOT NULL DEFAULT FALSE,
    rejection_reason TEXT,
    cover_photo_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX listings_public_newest ON listings(status, published_at DESC, id DESC);
CREATE INDEX listings_public_category ON listings(status, category_code, published_at DESC, id DESC);
CREATE INDEX listings_public_place ON listings(status, place_code, published_at DESC, id DESC);
CREATE INDEX listings_public_coop ON listings(status, cooperative_id, published_at DESC, id DESC);
CREATE INDEX listings_public_kind ON listings(status, kind, published_at DESC, id DESC);
CREATE INDEX listings_public_price ON listings(status, price_vnd, id);
CREATE INDEX listings_coop_updated ON listings(cooperative_id, updated_at DESC);

CREATE TABLE listing_certifications (
    listing_id BIGINT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    PRIMARY KEY (listing_id, code)
);
CREATE INDEX listing_certifications_code ON listing_certifications(code, listing_id);

CREATE TABLE marketplace_links (
    id INTEGER PRIMARY KEY NOT NULL,
    listing_id BIGINT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    url TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX marketplace_links_listing ON marketplace_links(listing_id, position);

CREATE TABLE photos (
    id INTEGER PRIMARY KEY NOT NULL,
    listing_id BIGINT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    content_key TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    placeholder TEXT NOT NULL,
    variants TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX photos_listing ON photos(listing_id, position);

-- Listings whose search document must be refreshed; drained by the indexer.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY NOT NULL,
    listing_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    available_at TIMESTAMP NOT NULL,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox(available_at, id);

CREATE TABLE link_clicks (
    link_id BIGINT NOT NULL REFERENCES marketplace_links(id) ON DELETE CASCADE,
    day DATE NOT NULL,
    clicks BIGINT NOT NULL,
    PRIMARY KEY (link_id, day)
);
