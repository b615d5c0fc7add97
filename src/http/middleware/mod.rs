//! The middleware every answer passes through, each a named function for `wrap_fn`: the
//! response cache, security headers, HEAD as GET, and the request log with metrics.

pub mod head;
pub mod observe;
pub mod response_cache;
pub mod security_headers;
