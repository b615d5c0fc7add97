//! Prints the benchmarks' fixed query mix, one `kind<TAB>text` line a query, for tools that
//! replay it query by query (`bench/search-gap.py --mix FILE`).
//!
//!     cargo run --release --example query_mix [N [SEED]] > mix.tsv    # default 200 42, the mix
//!                                                                     # of bench/search-http.sh

fn main() {
    let mut args = std::env::args().skip(1);
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
        println!("{}\t{}", q.kind, q.text);
    }
}
