//! HTTP plumbing both front ends share: conditional answers (ETag), and who a request presents
//! itself as (bearer token or session cookie). No rules live here; no front end is imported.

pub mod credentials;
pub mod etag;
