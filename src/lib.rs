//! vungcao: catalogue backend and mobile-first storefront for local products of Vietnam's highland communes.

pub mod media;
pub mod search;
pub mod text;
