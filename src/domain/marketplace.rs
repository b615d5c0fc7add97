//! Marketplace links: which platforms we send shoppers to, and which URLs we accept for each.

use crate::messages::Message;
use serde::{Deserialize, Serialize};
use url::{Host, Url};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Shopee,
    TiktokShop,
    Lazada,
    Tiki,
    Postmart,
    Voso,
    Facebook,
    Zalo,
    /// The cooperative's own site: any public https host.
    Website,
}

impl Platform {
    pub const ALL: [Platform; 9] = [
        Platform::Shopee,
        Platform::TiktokShop,
        Platform::Lazada,
        Platform::Tiki,
        Platform::Postmart,
        Platform::Voso,
        Platform::Facebook,
        Platform::Zalo,
        Platform::Website,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Platform::Shopee => "shopee",
            Platform::TiktokShop => "tiktok_shop",
            Platform::Lazada => "lazada",
            Platform::Tiki => "tiki",
            Platform::Postmart => "postmart",
            Platform::Voso => "voso",
            Platform::Facebook => "facebook",
            Platform::Zalo => "zalo",
            Platform::Website => "website",
        }
    }

    pub fn parse(code: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Shopee => "Shopee",
            Platform::TiktokShop => "TikTok Shop",
            Platform::Lazada => "Lazada",
            Platform::Tiki => "Tiki",
            Platform::Postmart => "Postmart",
            Platform::Voso => "Voso",
            Platform::Facebook => "Facebook",
            Platform::Zalo => "Zalo",
            Platform::Website => "website",
        }
    }

    /// Registrable domains the platform serves links from; `None` for the cooperative's own site.
    fn domains(self) -> Option<&'static [&'static str]> {
        Some(match self {
            Platform::Shopee => &["shopee.vn", "shp.ee"],
            Platform::TiktokShop => &["tiktok.com"],
            Platform::Lazada => &["lazada.vn"],
            Platform::Tiki => &["tiki.vn"],
            Platform::Postmart => &["postmart.vn"],
            Platform::Voso => &["voso.vn"],
            Platform::Facebook => &["facebook.com", "fb.com", "fb.me", "m.me"],
            Platform::Zalo => &["zalo.me", "zalo.vn"],
            Platform::Website => return None,
        })
    }
}

/// Checks a marketplace URL: https, no credentials, no odd port, and a host that belongs to the platform.
/// Returns the normalised URL or a message for the member.
pub fn validate_url(platform: Platform, raw: &str) -> Result<String, Message> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Message::UrlRequired);
    }
    if raw.len() > 2000 {
        return Err(Message::UrlTooLong);
    }
    let url = Url::parse(raw).map_err(|_| Message::UrlInvalid)?;
    if url.scheme() != "https" {
        return Err(Message::UrlNotHttps);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Message::UrlHasCredentials);
    }
    if url.port().is_some() {
        return Err(Message::UrlHasPort);
    }
    let host = match url.host() {
        Some(Host::Domain(d)) => d.to_ascii_lowercase(),
        _ => return Err(Message::UrlIpHost),
    };
    let host = host.trim_end_matches('.');
    match platform.domains() {
        Some(domains) => {
            let belongs = domains
                .iter()
                .any(|d| host == *d || host.ends_with(&format!(".{d}")));
            if !belongs {
                return Err(Message::UrlWrongPlatform);
            }
        }
        None => {
            if !host.contains('.') || host == "localhost" || host.ends_with(".localhost") {
                return Err(Message::UrlNotPublic);
            }
        }
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_platform_hosts() {
        assert!(validate_url(Platform::Shopee, "https://shopee.vn/che-i.1.2").is_ok());
        assert!(validate_url(Platform::Lazada, "https://www.lazada.vn/products/x.html").is_ok());
        assert!(validate_url(Platform::TiktokShop, "https://www.tiktok.com/@camsanh").is_ok());
        assert!(validate_url(Platform::Website, "https://homestay.example.vn").is_ok());
    }

    #[test]
    fn refuses_lookalikes_and_plain_http() {
        assert!(validate_url(Platform::Shopee, "http://shopee.vn/x").is_err());
        assert!(validate_url(Platform::Shopee, "https://shopee.vn.evil.com/x").is_err());
        assert!(validate_url(Platform::Shopee, "https://evilshopee.vn/x").is_err());
        assert!(validate_url(Platform::Shopee, "https://shopee.vn@evil.com/x").is_err());
        assert!(validate_url(Platform::Tiki, "https://shopee.vn/x").is_err());
        assert!(validate_url(Platform::Website, "https://127.0.0.1/x").is_err());
        assert!(validate_url(Platform::Website, "javascript:alert(1)").is_err());
        assert!(validate_url(Platform::Zalo, "https://zalo.me:8443/x").is_err());
    }
}
