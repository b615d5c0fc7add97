//! Table definitions shared by the SQLite and PostgreSQL migrations (kept in step by hand).

diesel::table! {
    categories (code) {
        code -> Text,
        name_vi -> Text,
        name_en -> Text,
        position -> Integer,
    }
}

diesel::table! {
    places (code) {
        code -> Text,
        name -> Text,
        kind -> Text,
        parent_code -> Nullable<Text>,
        path -> Text,
        lat -> Double,
        lng -> Double,
        aliases -> Text,
        skip_review -> Bool,
    }
}

diesel::table! {
    cooperatives (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        place_code -> Text,
        phone -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        cooperative_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        token_hash -> Text,
        label -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    listings (id) {
        id -> BigInt,
        slug -> Text,
        kind -> Text,
        status -> Text,
        name_vi -> Text,
        name_en -> Nullable<Text>,
        description_vi -> Text,
        description_en -> Nullable<Text>,
        category_code -> Text,
        place_code -> Text,
        cooperative_id -> BigInt,
        price_vnd -> Nullable<BigInt>,
        unit -> Nullable<Text>,
        ocop_stars -> Nullable<SmallInt>,
        ocop_certificate -> Nullable<Text>,
        ocop_expires -> Nullable<Date>,
        season_mask -> Integer,
        event_start -> Nullable<Date>,
        event_end -> Nullable<Date>,
        recurs_yearly -> Bool,
        rejection_reason -> Nullable<Text>,
        cover_photo_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        external_id -> Nullable<Text>,
        version -> BigInt,
        /// The place's path, kept by a trigger (migration `listing_place_path`).
        place_path -> Text,
    }
}

diesel::table! {
    listing_revisions (listing_id) {
        listing_id -> BigInt,
        proposal -> Text,
        status -> Text,
        rejection_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    listing_certifications (listing_id, code) {
        listing_id -> BigInt,
        code -> Text,
    }
}

diesel::table! {
    marketplace_links (id) {
        id -> BigInt,
        listing_id -> BigInt,
        platform -> Text,
        url -> Text,
        position -> Integer,
    }
}

diesel::table! {
    photos (id) {
        id -> BigInt,
        listing_id -> BigInt,
        position -> Integer,
        content_key -> Text,
        width -> Integer,
        height -> Integer,
        placeholder -> Text,
        variants -> Text,
        created_at -> Timestamp,
        review_state -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        listing_id -> BigInt,
        created_at -> Timestamp,
        attempts -> Integer,
        available_at -> Timestamp,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    link_clicks (link_id, day) {
        link_id -> BigInt,
        day -> Date,
        clicks -> BigInt,
    }
}

diesel::table! {
    listing_views (listing_id, day) {
        listing_id -> BigInt,
        day -> Date,
        views -> BigInt,
    }
}

diesel::table! {
    calendar_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    /// Each published listing's view, stored at the commit that changed it.
    listing_cards (listing_id) {
        listing_id -> BigInt,
        format -> BigInt,
        body -> Text,
    }
}

diesel::table! {
    indexed_changes (id) {
        id -> BigInt,
        listing_id -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    storefront_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::joinable!(cooperatives -> places (place_code));
diesel::joinable!(users -> cooperatives (cooperative_id));
diesel::joinable!(tokens -> users (user_id));
diesel::joinable!(listings -> categories (category_code));
diesel::joinable!(listings -> places (place_code));
diesel::joinable!(listings -> cooperatives (cooperative_id));
diesel::table! {
    import_jobs (id) {
        id -> BigInt,
        owner_cooperative_id -> Nullable<BigInt>,
        state -> Text,
        stage -> Nullable<Text>,
        done -> BigInt,
        total -> BigInt,
        report -> Nullable<Text>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(listing_certifications -> listings (listing_id));
diesel::joinable!(marketplace_links -> listings (listing_id));
diesel::joinable!(photos -> listings (listing_id));
diesel::joinable!(listing_revisions -> listings (listing_id));
diesel::joinable!(link_clicks -> marketplace_links (link_id));
diesel::joinable!(listing_views -> listings (listing_id));
diesel::joinable!(listing_cards -> listings (listing_id));

// The commune report groups views and clicks by a cooperative's place and the day.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    cooperatives::place_code,
    listing_views::day,
    link_clicks::day,
);

diesel::allow_tables_to_appear_in_same_query!(
    categories,
    places,
    cooperatives,
    users,
    tokens,
    listings,
    listing_revisions,
    listing_certifications,
    marketplace_links,
    photos,
    outbox,
    indexed_changes,
    link_clicks,
    listing_views,
    listing_cards,
);
