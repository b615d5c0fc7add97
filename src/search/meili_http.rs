//! The HTTP client the Meilisearch SDK talks through: pooled reqwest clients, bodies sent whole.
//!
//! The SDK's own client streams every request body through a freshly allocated and zeroed
//! 8 MiB buffer, as a chunked body; on a search that is most of the client's cost. Here a body is
//! serialised once and sent with its `Content-Length`; answers are read by the SDK's
//! [`parse_response`], so errors look the same.
//!
//! Each thread asks through its own client ([`MeiliHttp::client`]). A pooled connection is
//! driven by a task on the runtime that opened it, and the server's workers each run their own
//! runtime: with one client shared, a search on one worker would often travel on a connection
//! the other worker drives, waking that thread twice a request.

use futures_util::io::{AsyncRead, AsyncReadExt};
use meilisearch_sdk::errors::Error;
use meilisearch_sdk::macro_helper::async_trait;
use meilisearch_sdk::request::{parse_response, HttpClient, Method};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone)]
pub struct MeiliHttp {
    /// Which [`MeiliHttp::new`] this is (clones share it, and so share each thread's client).
    id: u64,
    headers: HeaderMap,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// How many clients a thread keeps, one per [`MeiliHttp`] it asks through (a server has one;
/// tests make many, one after the other).
const CLIENTS_KEPT: usize = 4;
thread_local! {
    /// The clients this thread has made, newest last, by [`MeiliHttp`] id.
    static CLIENTS: RefCell<Vec<(u64, reqwest::Client)>> = const { RefCell::new(Vec::new()) };
}

impl MeiliHttp {
    /// A client sending `Authorization: Bearer <api_key>` when there is a key.
    pub fn new(api_key: Option<&str>) -> Result<MeiliHttp, Error> {
        let mut headers = HeaderMap::new();
        if let Some(key) = api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
                .map_err(|e| Error::Other(Box::new(e)))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let http = MeiliHttp {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            headers,
        };
        // Built once here so that a client that cannot be built fails at start-up.
        http.client()?;
        Ok(http)
    }

    /// This thread's client (made on the thread's first request; a cheap handle to its pool).
    fn client(&self) -> Result<reqwest::Client, Error> {
        CLIENTS.with(|clients| {
            let mut clients = clients.borrow_mut();
            if let Some((_, client)) = clients.iter().find(|(id, _)| *id == self.id) {
                return Ok(client.clone());
            }
            let client = reqwest::Client::builder()
                .default_headers(self.headers.clone())
                .tcp_nodelay(true)
                .build()?;
            if clients.len() >= CLIENTS_KEPT {
                clients.remove(0);
            }
            clients.push((self.id, client.clone()));
            Ok(client)
        })
    }

    async fn send<Query: Serialize, Output: DeserializeOwned>(
        &self,
        url: &str,
        method: &Method<Query, ()>,
        body: Option<(Vec<u8>, &str)>,
        expected_status_code: u16,
    ) -> Result<Output, Error> {
        let url = format!("{url}{}", yaup::to_string(method.query())?);
        let verb = match method {
            Method::Get { .. } => reqwest::Method::GET,
            Method::Delete { .. } => reqwest::Method::DELETE,
            Method::Post { .. } => reqwest::Method::POST,
            Method::Put { .. } => reqwest::Method::PUT,
            Method::Patch { .. } => reqwest::Method::PATCH,
        };
        let mut request = self.client()?.request(verb, &url);
        if let Some((bytes, content_type)) = body {
            request = request.header(CONTENT_TYPE, content_type).body(bytes);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        // Meilisearch answers UTF-8 JSON: checked as such, not decoded by charset (`text()`
        // goes through a lossy decoder, a few percent of a search with every facet).
        let bytes = response.bytes().await?;
        let text = match std::str::from_utf8(&bytes) {
            Ok("") => std::borrow::Cow::Borrowed("null"),
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&bytes),
        };
        parse_response(status, expected_status_code, &text, url)
    }
}

/// The method with its body taken out (`()` in its place), and the body.
fn split<Q, B>(method: Method<Q, B>) -> (Method<Q, ()>, Option<B>) {
    match method {
        Method::Get { query } => (Method::Get { query }, None),
        Method::Delete { query } => (Method::Delete { query }, None),
        Method::Post { query, body } => (Method::Post { query, body: () }, Some(body)),
        Method::Patch { query, body } => (Method::Patch { query, body: () }, Some(body)),
        Method::Put { query, body } => (Method::Put { query, body: () }, Some(body)),
    }
}

#[async_trait]
impl HttpClient for MeiliHttp {
    async fn request<Query, Body, Output>(
        &self,
        url: &str,
        method: Method<Query, Body>,
        expected_status_code: u16,
    ) -> Result<Output, Error>
    where
        Query: Serialize + Send + Sync,
        Body: Serialize + Send + Sync,
        Output: DeserializeOwned + 'static + Send,
    {
        let (method, body) = split(method);
        let body = match body {
            Some(b) => Some((
                serde_json::to_vec(&b).map_err(Error::ParseError)?,
                "application/json",
            )),
            None => None,
        };
        self.send(url, &method, body, expected_status_code).await
    }

    async fn stream_request<
        Query: Serialize + Send + Sync,
        Body: AsyncRead + Send + Sync + 'static,
        Output: DeserializeOwned + 'static,
    >(
        &self,
        url: &str,
        method: Method<Query, Body>,
        content_type: &str,
        expected_status_code: u16,
    ) -> Result<Output, Error> {
        let (method, body) = split(method);
        let body = match body {
            Some(reader) => {
                let mut bytes = Vec::new();
                let mut reader = Box::pin(reader);
                reader
                    .read_to_end(&mut bytes)
                    .await
                    .map_err(|e| Error::Other(Box::new(e)))?;
                Some((bytes, content_type))
            }
            None => None,
        };
        self.send(url, &method, body, expected_status_code).await
    }

    fn is_tokio(&self) -> bool {
        true
    }
}
