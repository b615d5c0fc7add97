//! Media: phone photos in, metadata-free responsive variants out; and where their bytes live.
