//! The anchor for HTTP benchmarks: an actix-web hello-world handler, same framework and
//! worker count as vungcao, so the table shows what our own work costs.
//!
//!     cargo run --release --example hello -- 127.0.0.1:8090

use actix_web::{get, App, HttpResponse, HttpServer};

#[get("/")]
async fn hello() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain")
        .body("Xin chào")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    HttpServer::new(|| App::new().service(hello))
        .bind(addr)?
        .run()
        .await
}
