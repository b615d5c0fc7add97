//! Prints the benchmarks' fixed query mix, one `kind<TAB>text` line a query, for tools that
//! replay it query by query (`bench/search-gap.py --mix FILE`). With `--filtered`, each line also
//! has the filter the benchmarks' filtered runs give the query: `kind<TAB>text<TAB>API
//! parameters<TAB>Meilisearch filter expression` (the parameters as `&name=value`, either of the
//! last two empty for a query without one).
//!
//!     cargo run --release --example query_mix [--filtered] [N [SEED]] > mix.tsv
//!     # default 200 42, the mix of bench/search-http.sh

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let filtered = args.next_if(|a| a == "--filtered").is_some();
    let mut arg = |default: u64, what: &str| match args.next() {
        None => default,
        Some(a) => a.parse().unwrap_or_else(|_| {
            eprintln!("query_mix: {what} must be a whole number, not {a:?}");
            std::process::exit(2)
        }),
    };
    let n = arg(200, "N");
    let seed = arg(42, "SEED");
    for q in vungcao::search::synthetic::query_mix(n as usize, seed) {
        if filtered {
            let meili = vungcao::search::meili::filter_expression(&q.filter).unwrap_or_default();
            println!("{}\t{}\t{}\t{meili}", q.kind, q.text, q.api_filter_params());
        } else {
            println!("{}\t{}", q.kind, q.text);
        }
    }
}
