//! HTTP plumbing both front ends share: a body's announced length, conditional answers (ETag), who a request presents
//! itself as (bearer token or session cookie), the response cache, answers kept by a stored version, rendered
//! sitemaps and the middleware. No rules live here, and no front end is imported.

pub mod body;
pub mod credentials;
pub mod etag;
pub mod kept_answers;
pub mod microcache;
pub mod middleware;
pub mod sitemap_cache;
