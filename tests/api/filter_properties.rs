//! Filter parsing as a property over the live API: any value of any list or search parameter is
//! answered 200 or a 400 naming the problem, never a server error; and the filters a search says
//! it applied, sent back, are applied the same way.

use crate::both_backends;
use crate::helpers::TestApp;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::Value;

both_backends!(any_filter_value_is_a_400_or_reads_back);

const PARAMS: &[&str] = &[
    "kind",
    "category",
    "place",
    "cooperative",
    "ocop",
    "certification",
    "month",
    "price_min",
    "price_max",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(vec![
            "product",
            "event",
            "tea",
            "honey",
            "TQ",
            "htx-cam-sanh-ham-yen",
            "4",
            "5",
            "12",
            "13",
            "0",
            "-1",
            "vietgap",
            "organic",
            "250000",
            "9223372036854775808",
            "",
            " ",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
        1 => any::<i64>().prop_map(|n| n.to_string()),
    ]
}

fn query() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    proptest::collection::vec((proptest::sample::select(PARAMS.to_vec()), value()), 0..3)
}

fn encode(pairs: &[(&str, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

async fn any_filter_value_is_a_400_or_reads_back(app: TestApp) {
    let mut runner = TestRunner::deterministic();
    let mut problems = Vec::new();
    // Both outcomes must be met, or the cases say nothing.
    let (mut refused, mut applied_some) = (0, 0);
    for _ in 0..60 {
        let pairs = query().new_tree(&mut runner).expect("a case").current();
        let q = encode(&pairs);
        for path in ["/api/v1/listings", "/api/v1/search"] {
            let (status, body) = app.get_json(&format!("{path}?{q}")).await;
            match status {
                200 => {}
                400 if body["code"] == "invalid_query"
                    && body["errors"][0]["field"].is_string() =>
                {
                    refused += 1
                }
                _ => problems.push(format!("{path}?{q}: {status} {body}")),
            }
            if path == "/api/v1/search" && status == 200 {
                // What the search says it applied, sent back, is applied the same way.
                let applied = &body["filters"];
                // `filters` names each one as its parameter.
                let again: Vec<(&str, String)> = PARAMS
                    .iter()
                    .filter_map(|param| match &applied[*param] {
                        Value::String(s) => Some((*param, s.clone())),
                        Value::Number(n) => Some((*param, n.to_string())),
                        _ => None,
                    })
                    .collect();
                applied_some += usize::from(!again.is_empty());
                let (status, second) = app
                    .get_json(&format!("/api/v1/search?{}", encode(&again)))
                    .await;
                if status != 200 || second["filters"] != *applied {
                    problems.push(format!(
                        "{q}: applied {applied}, sent back: {status} {}",
                        second["filters"]
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        refused > 0 && applied_some > 0,
        "{refused} refused, {applied_some} applied"
    );
}
