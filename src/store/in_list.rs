//! `column IN (…)` that both databases can keep prepared.
//!
//! diesel's `eq_any` writes one bind parameter per value on SQLite (`IN (?, ?, …)`), so every
//! list length is new SQL and the statement is prepared again on every call; a page of 20 cards
//! paid that five times (listings, links, certifications, photos, places). [`in_list`] binds the
//! whole list as one parameter instead, so the SQL is the same for every list and diesel's
//! statement cache keeps it:
//! - SQLite: `column IN (SELECT value FROM json_each(?))` with the values as a JSON array
//!   (SQLite still probes the column's index once per value); for one value
//!   `column = (SELECT value FROM json_each(?))`, which spares SQLite the temporary b-tree it
//!   builds for every `IN (SELECT …)`;
//! - PostgreSQL: `column = ANY(?)` with an array, as `eq_any` does there.

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Array, Bool, SingleValue, Text};
use diesel::sqlite::Sqlite;
use diesel::QueryResult;

/// `column` is one of `values`; see the module documentation.
#[derive(Debug, Clone)]
pub struct InList<C, T> {
    column: C,
    values: Vec<T>,
    /// The values as a JSON array, for SQLite.
    json: String,
}

/// `column IN values`, one bind parameter on both databases (cacheable as a prepared statement).
pub fn in_list<C, T>(column: C, values: &[T]) -> InList<C, T>
where
    T: Clone + serde::Serialize,
{
    InList {
        column,
        values: values.to_vec(),
        // Serialising integers and strings cannot fail; an empty list matches nothing either way.
        json: serde_json::to_string(values).unwrap_or_else(|_| "[]".to_owned()),
    }
}

impl<C, T> Expression for InList<C, T> {
    type SqlType = Bool;
}

impl<C, T, QS> AppearsOnTable<QS> for InList<C, T> where C: AppearsOnTable<QS> {}

impl<C, T, QS> SelectableExpression<QS> for InList<C, T> where C: SelectableExpression<QS> {}

impl<C, T, GB> ValidGrouping<GB> for InList<C, T>
where
    C: ValidGrouping<GB>,
{
    type IsAggregate = C::IsAggregate;
}

impl<C, T> QueryId for InList<C, T> {
    type QueryId = ();
    /// Not a static id: diesel then keys its statement cache by the SQL text, which is the same
    /// for every list.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C, T> QueryFragment<Sqlite> for InList<C, T>
where
    C: QueryFragment<Sqlite>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        if self.values.len() == 1 {
            // One value (a listing's own page): `IN (SELECT …)` would build a temporary b-tree
            // for the subquery's rows on every call, a third of the page's database time.
            out.push_sql(" = (SELECT value FROM json_each(");
        } else {
            out.push_sql(" IN (SELECT value FROM json_each(");
        }
        out.push_bind_param::<Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C, T> QueryFragment<Pg> for InList<C, T>
where
    C: QueryFragment<Pg> + Expression,
    C::SqlType: SingleValue,
    Vec<T>: ToSql<Array<C::SqlType>, Pg>,
    Pg: diesel::sql_types::HasSqlType<C::SqlType>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<C::SqlType>, _>(&self.values)?;
        out.push_sql(")");
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::query_builder::QueryFragment;
    use diesel::SqliteConnection;

    diesel::table! {
        crops (id) {
            id -> BigInt,
            name -> Text,
        }
    }

    fn sql_of(ids: &[i64]) -> String {
        let query = crops::table
            .filter(in_list(crops::id, ids))
            .select(crops::name);
        let shown = diesel::debug_query::<Sqlite, _>(&query).to_string();
        // The SQL, without the `-- binds: [...]` diesel appends.
        shown
            .split(" -- binds")
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn every_list_length_is_one_of_two_cacheable_statements() {
        assert_eq!(sql_of(&[1, 2]), sql_of(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
        assert_eq!(sql_of(&[]), sql_of(&[7, 8]));
        // One value compares with `=`: no temporary b-tree for a one-row list.
        assert_eq!(sql_of(&[1]), sql_of(&[42]));
        assert!(sql_of(&[1]).contains("` = (SELECT"), "{}", sql_of(&[1]));
        for ids in [&[1i64][..], &[1, 2]] {
            let ours = crops::table.filter(in_list(crops::id, ids));
            assert!(QueryFragment::<Sqlite>::is_safe_to_cache_prepared(&ours, &Sqlite).unwrap());
        }
        // What it replaces: one `?` per value, never kept prepared.
        let eq_any = crops::table.filter(crops::id.eq_any(vec![1i64, 2]));
        assert!(!QueryFragment::<Sqlite>::is_safe_to_cache_prepared(&eq_any, &Sqlite).unwrap());
    }

    #[test]
    fn it_finds_exactly_the_listed_rows_on_sqlite() {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        c.batch_execute(
            "CREATE TABLE crops (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             INSERT INTO crops VALUES (1, 'chè'), (2, 'lê'), (3, 'cam sành'), (4, 'mật ong');",
        )
        .unwrap();
        let names = |ids: &[i64], c: &mut SqliteConnection| -> Vec<String> {
            crops::table
                .filter(in_list(crops::id, ids))
                .order(crops::id)
                .select(crops::name)
                .load(c)
                .unwrap()
        };
        assert_eq!(names(&[3, 1, 9], &mut c), ["chè", "cam sành"]);
        assert_eq!(names(&[4], &mut c), ["mật ong"]);
        assert!(names(&[9], &mut c).is_empty());
        assert!(names(&[], &mut c).is_empty());
        let text: Vec<i64> = crops::table
            .filter(in_list(
                crops::name,
                &["lê".to_owned(), "mật ong".to_owned()],
            ))
            .order(crops::id)
            .select(crops::id)
            .load(&mut c)
            .unwrap();
        assert_eq!(text, [2, 4]);
    }
}
